<?php
// The PHP binding (bindings/php), as a panel uses it.

declare(strict_types=1);

namespace JetpackPartnerBench;

require_once dirname(__DIR__, 2) . '/bindings/php/autoload.php';

function binding_client(string $base): \JetpackPartner\Client
{
    $client = new \JetpackPartner\Client(partner_id(), partner_secret(), ['api_base' => $base]);
    if ($client->backend() !== 'ffi') {
        throw new \RuntimeException('the binding is not using the library in-process (backend ' . $client->backend() . ')');
    }
    return $client;
}

function binding_provision(\JetpackPartner\Client $client): array
{
    return $client->provision(USER, SITE, plan());
}
