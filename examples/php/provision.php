<?php

/*
 * Provision a Jetpack plan on a site, then show the site's status.
 *
 *     JETPACK_PARTNER_ID=12345 JETPACK_PARTNER_SECRET=... \
 *     [JETPACK_PARTNER_API_BASE=http://127.0.0.1:PORT] \
 *     [JETPACK_PARTNER_LIB=/path/to/libjetpack_partner.so] \
 *         php examples/php/provision.php admin https://example.com [plan]
 *
 * Against a local sandbox:
 *
 *     jetpack-partner-sandbox --listen 127.0.0.1:0 &     # prints http://127.0.0.1:PORT
 *     JETPACK_PARTNER_ID=12345 JETPACK_PARTNER_SECRET=sandbox-demo-secret \
 *     JETPACK_PARTNER_API_BASE=http://127.0.0.1:PORT php examples/php/provision.php admin https://example.com premium
 *
 * Prints the server's reply as JSON on stdout, the products on stderr. Exit status:
 * 0 success, 1 refused or failed, 2 bad usage.
 */

declare(strict_types=1);

require __DIR__ . '/../../bindings/php/autoload.php';

use JetpackPartner\ApiException;
use JetpackPartner\Client;
use JetpackPartner\Exception;
use JetpackPartner\InvalidArgumentException;
use JetpackPartner\TransportException;

if ($argc < 3 || $argc > 4) {
    fwrite(STDERR, "usage: php provision.php LOCAL_USER SITE_URL [PLAN]\n");
    exit(2);
}
[, $localUser, $siteUrl] = $argv;
$plan = $argv[3] ?? 'jetpack-backup-daily';

$partnerId = getenv('JETPACK_PARTNER_ID');
$partnerSecret = getenv('JETPACK_PARTNER_SECRET');
if (!is_string($partnerId) || $partnerId === '' || !is_string($partnerSecret) || $partnerSecret === '') {
    fwrite(STDERR, "set JETPACK_PARTNER_ID and JETPACK_PARTNER_SECRET\n");
    exit(2);
}

$options = ['timeout' => 60, 'connect_timeout' => 10];
$apiBase = getenv('JETPACK_PARTNER_API_BASE');
if (is_string($apiBase) && $apiBase !== '') {
    $options['api_base'] = $apiBase;   // e.g. the local sandbox
}

try {
    $client = new Client($partnerId, $partnerSecret, $options);

    $reply = $client->provision($localUser, $siteUrl, $plan);
    echo json_encode($reply, JSON_UNESCAPED_SLASHES), "\n";
    if ($reply['auth_required'] ?? false) {
        fwrite(STDERR, "The site owner must approve the connection: send them to next_url.\n");
    }

    $status = $client->status($siteUrl);
    foreach ($status['products'] ?? [] as $product) {
        fprintf(STDERR, "%s: %s\n", $product['slug'], $product['is_pending'] ? 'pending activation' : 'active');
    }
    exit(0);
} catch (ApiException $e) {
    // The server refused: its code (invalid_plan, plan_downgrade_disallowed, ...) and HTTP status.
    fprintf(STDERR, "refused: %s (HTTP %s): %s\n", $e->getErrorCode(), $e->getHttpStatus() ?? '-', $e->getMessage());
} catch (TransportException $e) {
    // No usable reply: after outcome_unknown the plan may exist, check status() before retrying.
    fprintf(STDERR, "no reply: %s: %s\n", $e->getErrorCode(), $e->getMessage());
} catch (InvalidArgumentException $e) {
    fprintf(STDERR, "bad input: %s\n", $e->getMessage());
} catch (Exception $e) {
    // Setup problems: library_not_found, ffi_disabled, cli_not_found, ...
    fprintf(STDERR, "error: %s: %s\n", $e->getErrorCode(), $e->getMessage());
}
exit(1);
