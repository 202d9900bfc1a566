<?php
// What the WAN scenarios share: the binding's client with the options this build supports,
// and PHP's curl extension over TLS (the test CA), written naively or with the token in APCu.

declare(strict_types=1);

namespace JetpackPartnerWan;

require_once dirname(__DIR__, 2) . '/php/common.php';
require_once dirname(__DIR__, 3) . '/bindings/php/autoload.php';

use JetpackPartnerBench as B;

/**
 * A binding client for $base trusting $ca. $extra holds options the library may not have yet
 * (token_cache_dir): option_unsupported() tells first whether this build takes them.
 */
function binding_client(string $base, string $ca, array $extra = []): \JetpackPartner\Client
{
    $client = new \JetpackPartner\Client(B\partner_id(), B\partner_secret(), [
        'api_base' => $base,
        'ca_bundle' => $ca,
        'timeout' => 60,
    ] + $extra);
    if ($client->backend() !== 'ffi') {
        throw new \RuntimeException('the binding is not using the library in-process (backend ' . $client->backend() . ')');
    }
    return $client;
}

/** Null when this build of the binding takes the option, else why not. */
function option_unsupported(string $base, string $ca, string $name, $value): ?string
{
    try {
        binding_client($base, $ca, [$name => $value])->close();
        return null;
    } catch (\JetpackPartner\InvalidArgumentException $e) {
        return $e->getMessage();
    }
}

/** The features of the binding the scenarios can use, each true or the reason it is missing. */
function features(string $base, string $ca, string $cacheDir): array
{
    return [
        'token_cache_dir' => option_unsupported($base, $ca, 'token_cache_dir', $cacheDir) ?? true,
        'warm' => method_exists(\JetpackPartner\Client::class, 'warmInBackground') ? true : 'JetpackPartner\Client has no warmInBackground()',
    ];
}

/** A curl handle that trusts the test CA and speaks HTTP/1.1, as the library does. */
function curl_handle(string $ca)
{
    $ch = curl_init();
    curl_setopt_array($ch, [
        CURLOPT_CAINFO => $ca,
        CURLOPT_HTTP_VERSION => CURL_HTTP_VERSION_1_1,
    ]);
    return $ch;
}

/** The common way: a new handle (connection) and a new token for every provision. */
function curl_naive(string $base, string $ca): array
{
    $ch = curl_handle($ca);
    $token = B\fetch_token($ch, $base);
    curl_close($ch);
    $ch = curl_handle($ca);
    $reply = B\provision_with($ch, $base, $token);
    curl_close($ch);
    return $reply;
}

const APCU_KEY = 'jetpack_partner_wan_bench_token';

/** A panel written well: the token kept in APCu (shared by the pool's workers), one handle per page. */
function curl_apcu(string $base, string $ca): array
{
    $ch = curl_handle($ca);
    $token = apcu_fetch(APCU_KEY);
    if (!is_string($token)) {
        $token = B\fetch_token($ch, $base);
        apcu_store(APCU_KEY, $token, 3000);
    }
    $reply = B\provision_with($ch, $base, $token);
    curl_close($ch);
    return $reply;
}

/** Throws unless the reply is a successful provision. */
function check(array $reply): array
{
    if (($reply['success'] ?? null) !== true) {
        throw new \RuntimeException('reply without success=true: ' . json_encode($reply));
    }
    return $reply;
}
