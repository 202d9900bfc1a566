<?php
// N provisions from one PHP process that starts cold (no token, no connection):
//   php -d ffi.enable=1 bulk.php binding API_BASE CA_BUNDLE N         the binding, one after another
//   php -d ffi.enable=1 bulk.php curl-reused API_BASE CA_BUNDLE N     one curl handle, token asked once
//   php -d ffi.enable=1 bulk.php curl-multi API_BASE CA_BUNDLE N K    curl_multi, K provisions in flight
//   php -d ffi.enable=1 bulk.php batch API_BASE CA_BUNDLE N K         the binding's provisionMany, K in flight
// The time runs from the first line of work to the last reply. Prints one JSON line; exits 1 if
// a call failed.

declare(strict_types=1);

require __DIR__ . '/wan.php';

use JetpackPartnerBench as B;
use JetpackPartnerWan as W;

if ($argc < 5) {
    fwrite(STDERR, "usage: php bulk.php binding|curl-reused|curl-multi|batch API_BASE CA_BUNDLE N [K]\n");
    exit(2);
}
[$_, $mode, $base, $ca, $n] = $argv;
$n = (int) $n;
$inFlight = 1;
$failures = 0;
$fail = function (Throwable $e) use (&$failures): void {
    if ($failures++ < 3) {
        fwrite(STDERR, 'bulk.php: provision failed: ' . get_class($e) . ': ' . $e->getMessage() . "\n");
    }
};

$t0 = hrtime(true);
switch ($mode) {
    case 'binding':
        $client = W\binding_client($base, $ca);
        for ($i = 0; $i < $n; $i++) {
            try {
                W\check($client->provision(B\USER, B\SITE, B\plan()));
            } catch (Throwable $e) {
                $fail($e);
            }
        }
        break;
    case 'curl-reused':
        $ch = W\curl_handle($ca);
        $token = B\fetch_token($ch, $base);
        for ($i = 0; $i < $n; $i++) {
            try {
                W\check(B\provision_with($ch, $base, $token));
            } catch (Throwable $e) {
                $fail($e);
            }
        }
        break;
    case 'batch':
        $inFlight = max(1, (int) ($argv[5] ?? 16));
        $client = W\binding_client($base, $ca);
        $items = (function () use ($n) {
            for ($i = 0; $i < $n; $i++) {
                yield ['key' => "item-$i", 'local_user' => B\USER, 'siteurl' => B\SITE, 'plan' => B\plan()];
            }
        })();
        foreach ($client->provisionMany($items, ['concurrency' => $inFlight]) as $result) {
            if ($result['outcome'] !== 'done') {
                $fail($result['exception'] ?? new RuntimeException('outcome ' . $result['outcome']));
            } else {
                W\check($result['reply']);
            }
        }
        break;
    case 'curl-multi':
        $inFlight = max(1, (int) ($argv[5] ?? 16));
        curl_multi_provisions($base, $ca, $n, $inFlight, $fail);
        break;
    default:
        fwrite(STDERR, "unknown mode $mode\n");
        exit(2);
}
$secs = (hrtime(true) - $t0) / 1e9;
echo json_encode(['calls' => $n, 'threads' => $inFlight, 'seconds' => round($secs, 6), 'failures' => $failures]), "\n";
exit($failures > 0 ? 1 : 0);

/**
 * $n provisions with $k in flight on one curl_multi handle, after the token (asked for through
 * the same multi handle, so its connection is kept in the multi handle's cache and reused): a
 * handle that finishes is given the next provision at once. Each failure goes to $fail.
 */
function curl_multi_provisions(string $base, string $ca, int $n, int $k, callable $fail): void
{
    $multi = curl_multi_init();
    curl_multi_setopt($multi, CURLMOPT_MAXCONNECTS, $k);
    $ch = W\curl_handle($ca);
    curl_setopt_array($ch, [
        CURLOPT_URL => $base . '/oauth2/token',
        CURLOPT_POST => true,
        CURLOPT_POSTFIELDS => http_build_query([
            'client_id' => B\partner_id(),
            'client_secret' => B\partner_secret(),
            'grant_type' => 'client_credentials',
            'scope' => 'jetpack-partner',
        ]),
        CURLOPT_RETURNTRANSFER => true,
        CURLOPT_TIMEOUT => 60,
    ]);
    curl_multi_add_handle($multi, $ch);
    do {
        curl_multi_exec($multi, $running);
        if ($running > 0) {
            curl_multi_select($multi, 1.0);
        }
    } while ($running > 0);
    $token = json_decode((string) curl_multi_getcontent($ch), true)['access_token'] ?? null;
    curl_multi_remove_handle($multi, $ch);
    curl_close($ch);
    if (!is_string($token)) {
        throw new RuntimeException('no access_token in the token reply');
    }
    $start = function ($ch) use ($base, $token, $multi): void {
        curl_setopt_array($ch, [
            CURLOPT_URL => $base . '/rest/v1.3/jpphp/provision',
            CURLOPT_POST => true,
            CURLOPT_POSTFIELDS => http_build_query(['local_user' => B\USER, 'siteurl' => B\SITE, 'plan' => B\plan()]),
            CURLOPT_HTTPHEADER => ['Authorization: Bearer ' . $token],
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_TIMEOUT => 60,
        ]);
        curl_multi_add_handle($multi, $ch);
    };
    $started = 0;
    for (; $started < min($k, $n); $started++) {
        $start(W\curl_handle($ca));
    }
    $done = 0;
    while ($done < $n) {
        $status = curl_multi_exec($multi, $running);
        if ($status !== CURLM_OK) {
            throw new RuntimeException('curl_multi_exec: ' . curl_multi_strerror($status));
        }
        while (($info = curl_multi_info_read($multi)) !== false) {
            $ch = $info['handle'];
            $done++;
            try {
                if ($info['result'] !== CURLE_OK) {
                    throw new RuntimeException('curl: ' . curl_strerror($info['result']));
                }
                $reply = json_decode((string) curl_multi_getcontent($ch), true);
                W\check(is_array($reply) ? $reply : ['body' => curl_multi_getcontent($ch)]);
            } catch (Throwable $e) {
                $fail($e);
            }
            curl_multi_remove_handle($multi, $ch);
            if ($started < $n) {
                $start($ch);
                $started++;
            } else {
                curl_close($ch);
            }
        }
        if ($done < $n && $running > 0) {
            curl_multi_select($multi, 1.0);
        }
    }
    curl_multi_close($multi);
}
