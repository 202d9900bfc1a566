<?php

/*
 * The Licensing API: issue a license for a product, attach it to a site, show it,
 * detach it and revoke it.
 *
 *     php examples/php/licensing.php SITE_URL [PRODUCT]      (default product: jetpack-backup-daily)
 *
 *   JETPACK_PARTNER_ID, JETPACK_PARTNER_SECRET   required (the credentials of a partner key)
 *   JETPACK_PARTNER_API_BASE                     optional (default: https://public-api.wordpress.com)
 *   JETPACK_PARTNER_LIB                          optional path of libjetpack_partner.so
 *
 * Against a local sandbox:
 *
 *     JETPACK_PARTNER_ID=12345 JETPACK_PARTNER_SECRET=sandbox-demo-secret \
 *     JETPACK_PARTNER_API_BASE=http://127.0.0.1:PORT php examples/php/licensing.php https://example.com
 *
 * Exit status: 0 success, 1 refused or failed, 2 bad usage.
 */

declare(strict_types=1);

require __DIR__ . '/../../bindings/php/autoload.php';

use JetpackPartner\ApiException;
use JetpackPartner\Client;
use JetpackPartner\Exception;

if ($argc < 2 || $argc > 3) {
    fwrite(STDERR, "usage: php licensing.php SITE_URL [PRODUCT]\n");
    exit(2);
}
$siteUrl = $argv[1];
$product = $argv[2] ?? 'jetpack-backup-daily';
$partnerId = getenv('JETPACK_PARTNER_ID');
$partnerSecret = getenv('JETPACK_PARTNER_SECRET');
if (!is_string($partnerId) || $partnerId === '' || !is_string($partnerSecret) || $partnerSecret === '') {
    fwrite(STDERR, "set JETPACK_PARTNER_ID and JETPACK_PARTNER_SECRET\n");
    exit(2);
}
$options = [];
$apiBase = getenv('JETPACK_PARTNER_API_BASE');
if (is_string($apiBase) && $apiBase !== '') {
    $options['api_base'] = $apiBase;
}

try {
    $client = new Client($partnerId, $partnerSecret, $options);

    $known = [];
    foreach ($client->productFamilies() as $family) {
        foreach ($family['products'] as $item) {
            $known[] = $item['slug'];
        }
    }
    if (!in_array($product, $known, true)) {
        fprintf(STDERR, "unknown product %s; products: %s\n", $product, implode(', ', $known));
        exit(2);
    }

    // A license attaches to a connected site only: connect it (safe to repeat).
    $connection = $client->siteConnection($siteUrl, 'admin');
    printf("site %s: %s (blog %s)\n", $siteUrl, $connection['code'], $connection['blog_id']);

    $license = $client->licenseIssue($product);
    $key = $license['license_key'];
    printf("issued %s for %s\n", $key, $license['product']);

    $attached = $client->licenseAttach($key, $siteUrl);
    printf("attached to blog %s at %s\n", $attached['blog_id'], $attached['attached_at']);
    echo json_encode($client->licenseStatus($key), JSON_UNESCAPED_SLASHES | JSON_PRETTY_PRINT), "\n";

    $client->licenseDetach($key, false);        // false: no cancellation e-mail to the site owner
    $revoked = $client->licenseRevoke($key);
    printf("detached and revoked at %s\n", $revoked['revoked_at']);
    exit(0);
} catch (ApiException $e) {
    // The Licensing API's own codes: invalid_product, license_not_found, site_not_connected, ...
    fprintf(STDERR, "refused: %s (HTTP %s): %s\n", $e->getErrorCode(), $e->getHttpStatus() ?? '-', $e->getMessage());
} catch (Exception $e) {
    fprintf(STDERR, "error: %s: %s\n", $e->getErrorCode(), $e->getMessage());
}
exit(1);
