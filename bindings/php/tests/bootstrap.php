<?php

/*
 * PHPUnit bootstrap: loads the binding without Composer, locates the build outputs
 * (env JETPACK_PARTNER_LIB / _CLI / _SANDBOX, default <repo>/target/release/...),
 * and starts one sandbox for the whole run (stopped at exit).
 */

declare(strict_types=1);

require dirname(__DIR__) . '/autoload.php';
require __DIR__ . '/Sandbox.php';
require __DIR__ . '/Env.php';
require __DIR__ . '/ClientTestCase.php';
require __DIR__ . '/FastCgi.php';
require __DIR__ . '/Proxy.php';

JetpackPartner\Tests\Env::init();
JetpackPartner\Tests\Sandbox::start(JetpackPartner\Tests\Env::sandbox());
