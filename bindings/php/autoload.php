<?php

/*
 * Loads the JetpackPartner classes without Composer:
 *
 *     require '/path/to/bindings/php/autoload.php';
 *     $client = new JetpackPartner\Client($partnerId, $partnerSecret);
 */

declare(strict_types=1);

spl_autoload_register(static function (string $class): void {
    $prefix = 'JetpackPartner\\';
    if (strncmp($class, $prefix, strlen($prefix)) !== 0) {
        return;
    }
    $file = __DIR__ . '/src/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
    if (is_file($file)) {
        require $file;
    }
});
