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
require __DIR__ . '/UsesClient.php';
require __DIR__ . '/ClientTestCase.php';
require __DIR__ . '/ApiTestCase.php';
require __DIR__ . '/BatchTestCase.php';
require __DIR__ . '/FastCgi.php';
require __DIR__ . '/Proxy.php';

JetpackPartner\Tests\Env::init();
if (function_exists('pcntl_async_signals')) {
    // Ctrl-C or a kill: exit normally, so the shutdown functions stop the sandbox.
    pcntl_async_signals(true);
    foreach ([SIGINT, SIGTERM, SIGHUP] as $signal) {
        pcntl_signal($signal, static function (int $signal): void {
            exit(128 + $signal);
        });
    }
}
JetpackPartner\Tests\Sandbox::start(JetpackPartner\Tests\Env::sandbox());
