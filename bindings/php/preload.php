<?php

/*
 * opcache.preload script for PHP-FPM / mod_php. With ffi.enable=preload (the
 * default) only the CLI and code preloaded by opcache may use FFI, so the
 * JetpackPartner classes must be preloaded, and the library registered as the FFI
 * scope "JETPACK_PARTNER". php.ini:
 *
 *     ffi.enable=preload
 *     opcache.enable=1
 *     opcache.preload=/path/to/bindings/php/preload.php
 *
 * When PHP starts as root (the usual php-fpm master), opcache needs
 * opcache.preload_user, and PHP then refuses FFI::load() in the preload: load the
 * library with ffi.preload as well, from the header this package prints:
 *
 *     php /path/to/bindings/php/ffi-preload-header.php > /etc/php/jetpack_partner.h
 *     ffi.preload=/etc/php/jetpack_partner.h
 *     opcache.preload_user=www-data
 *
 * This script preloads the classes, then registers the scope with FFI::load()
 * unless ffi.preload already did. The library is found like at run time: env
 * JETPACK_PARTNER_LIB (as seen by the PHP master process), the package's lib/, the
 * system library path.
 */

declare(strict_types=1);

require __DIR__ . '/autoload.php';

// Compiles the classes, then registers the scope. To name the library here rather than
// through the master's environment, pass its path: Library::preload('/path/to/libjetpack_partner.so').
JetpackPartner\Library::preload();
