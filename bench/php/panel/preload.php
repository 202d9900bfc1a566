<?php
// opcache.preload script of the benchmark's PHP-FPM: the binding's own preload
// (registers the FFI scope JETPACK_PARTNER, compiles the binding's classes once in
// the master, before the workers fork).

declare(strict_types=1);

require dirname(__DIR__, 3) . '/bindings/php/preload.php';
