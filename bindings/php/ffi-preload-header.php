<?php

/*
 * Prints the FFI header for php.ini's ffi.preload (PHP-FPM, mod_php):
 *
 *     php bindings/php/ffi-preload-header.php [--library=/usr/local/lib/libjetpack_partner.so.0] \
 *         > /etc/php/8.2/jetpack_partner.h
 *
 * php.ini:
 *     ffi.enable=preload
 *     ffi.preload=/etc/php/8.2/jetpack_partner.h
 *
 * The header is the FFI declarations headed by FFI_SCOPE "JETPACK_PARTNER" and
 * FFI_LIB (the library found like at run time: --library, env JETPACK_PARTNER_LIB,
 * the package's lib/, the system library path). JetpackPartner\Client then uses
 * FFI::scope("JETPACK_PARTNER").
 */

declare(strict_types=1);

require __DIR__ . '/autoload.php';

$library = null;
foreach (array_slice($argv, 1) as $arg) {
    if (str_starts_with($arg, '--library=')) {
        $library = substr($arg, strlen('--library='));
    } else {
        fwrite(STDERR, "usage: php ffi-preload-header.php [--library=PATH] > jetpack_partner.h\n");
        exit(2);
    }
}

try {
    echo JetpackPartner\Library::preloadHeader($library);
} catch (JetpackPartner\Exception $e) {
    fwrite(STDERR, $e->getMessage() . "\n");
    exit(1);
}
