<?php

/*
 * List every activation of each partner key, with the month's upcoming invoice.
 *
 *     php examples/php/reporting.php [PLAN...]      (optional plan slugs to filter the activations)
 *
 * Reporting needs a WordPress.com user token of the partner's user. The credentials come
 * from the environment, never the command line:
 *   JETPACK_PARTNER_ID, JETPACK_PARTNER_SECRET   required (the OAuth application)
 *   JETPACK_PARTNER_USER_TOKEN                   a user token (see oauth-login.php); or else
 *   JETPACK_PARTNER_USERNAME, JETPACK_PARTNER_PASSWORD
 *                                                the application owner's login, for the password grant
 *   JETPACK_PARTNER_API_BASE                     optional (default: https://public-api.wordpress.com)
 *   JETPACK_PARTNER_LIB                          optional path of libjetpack_partner.so
 *
 * Against a local sandbox:
 *
 *     jetpack-partner-sandbox --listen 127.0.0.1:0 &     # prints http://127.0.0.1:PORT
 *     JETPACK_PARTNER_ID=12345 JETPACK_PARTNER_SECRET=sandbox-demo-secret \
 *     JETPACK_PARTNER_USERNAME=partner-12345 JETPACK_PARTNER_PASSWORD=sandbox-demo-password \
 *     JETPACK_PARTNER_API_BASE=http://127.0.0.1:PORT php examples/php/reporting.php
 *
 * Exit status: 0 success, 1 refused or failed, 2 bad usage.
 */

declare(strict_types=1);

require __DIR__ . '/../../bindings/php/autoload.php';

use JetpackPartner\Client;
use JetpackPartner\Exception;

function env(string $name): ?string
{
    $value = getenv($name);
    return is_string($value) && $value !== '' ? $value : null;
}

$partnerId = env('JETPACK_PARTNER_ID');
$partnerSecret = env('JETPACK_PARTNER_SECRET');
if ($partnerId === null || $partnerSecret === null) {
    fwrite(STDERR, "set JETPACK_PARTNER_ID and JETPACK_PARTNER_SECRET\n");
    exit(2);
}
$plans = array_slice($argv, 1);
$options = [];
if (($apiBase = env('JETPACK_PARTNER_API_BASE')) !== null) {
    $options['api_base'] = $apiBase;
}

try {
    $client = new Client($partnerId, $partnerSecret, $options);

    $token = env('JETPACK_PARTNER_USER_TOKEN');
    if ($token === null) {
        $username = env('JETPACK_PARTNER_USERNAME');
        $password = env('JETPACK_PARTNER_PASSWORD');
        if ($username === null || $password === null) {
            fwrite(STDERR, "set JETPACK_PARTNER_USER_TOKEN, or JETPACK_PARTNER_USERNAME and JETPACK_PARTNER_PASSWORD\n");
            exit(2);
        }
        $token = $client->passwordGrant($username, $password)['access_token'];
    }

    $partner = $client->partnerDetails($token);
    printf("partner %s (%s)\n", $partner['name'], $partner['id']);
    foreach ($partner['keys'] as $key) {
        printf("\nkey %s: %s\n", $key['id'], $key['name']);
        $count = 0;
        // A generator: the pages are fetched as the loop reaches them.
        $filters = ['per_page' => 100] + ($plans === [] ? [] : ['plans' => $plans]);
        foreach ($client->allActivations($token, $partner['id'], $key['id'], $filters) as $activation) {
            printf(
                "  %-40s %-26s %s\n",
                $activation['site_url'] ?? $activation['wpcom_blog_id'] ?? '?',
                $activation['current_product_slug'] ?? $activation['product_slug'] ?? '?',
                $activation['is_pending'] ?? false ? 'pending' : (string) ($activation['activated_on'] ?? '')
            );
            $count++;
        }
        printf("  %d activation(s)\n", $count);

        $invoice = $client->upcomingInvoice($token, $partner['id'], $key['id']);
        printf("  upcoming invoice %s to %s:\n", $invoice['period_start'], $invoice['period_end']);
        foreach ($invoice['lines'] as $line) {
            printf("    %-26s %4d x %8.2f = %9.2f\n", $line['product_slug'], $line['quantity'], $line['unit_amount'] / 100, $line['amount'] / 100);
        }
        printf("    total %.2f %s\n", $invoice['total'] / 100, strtoupper((string) $invoice['currency']));
    }
    exit(0);
} catch (Exception $e) {
    // ApiException (invalid_token, rest_forbidden, ...), TransportException, InvalidArgumentException.
    fprintf(STDERR, "%s: %s: %s\n", get_class($e), $e->getErrorCode(), $e->getMessage());
    exit(1);
}
