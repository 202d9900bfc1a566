<?php
// N sequential provisions from PHP, one way per run:
//   php -d ffi.enable=1 bench.php MODE API_BASE N
// MODE: binding | curl-reused | curl-common | script
// One warm-up call is made before timing. Prints one JSON line; exits 1 if a call failed.

declare(strict_types=1);

require __DIR__ . '/common.php';
require __DIR__ . '/binding.php';

use JetpackPartnerBench as B;

if ($argc < 4) {
    fwrite(STDERR, "usage: php bench.php binding|curl-reused|curl-common|script API_BASE N\n");
    exit(2);
}
[$_, $mode, $base, $n] = $argv;
$n = (int) $n;

switch ($mode) {
    case 'binding':
        $client = B\binding_client($base);
        $call = fn () => B\binding_provision($client);
        break;
    case 'curl-reused':
        $client = new B\CurlReused($base);
        $call = fn () => $client->provision();
        break;
    case 'curl-common':
        $call = fn () => B\provision_curl_common($base);
        break;
    case 'script':
        $script = __DIR__ . '/partner-provision.sh';
        $call = fn () => B\provision_script($base, $script);
        break;
    default:
        fwrite(STDERR, "unknown mode $mode\n");
        exit(2);
}

$failures = 0;
$check = function () use ($call, &$failures): void {
    try {
        $reply = $call();
        if (($reply['success'] ?? null) !== true) {
            throw new RuntimeException('reply without success=true: ' . json_encode($reply));
        }
    } catch (Throwable $e) {
        if ($failures++ < 3) {
            fwrite(STDERR, 'bench.php: provision failed: ' . get_class($e) . ': ' . $e->getMessage() . "\n");
        }
    }
};

$check();
if ($failures > 0) {
    fwrite(STDERR, "bench.php: warm-up failed\n");
    exit(1);
}
$t0 = hrtime(true);
for ($i = 0; $i < $n; $i++) {
    $check();
}
$secs = (hrtime(true) - $t0) / 1e9;
echo json_encode([
    'calls' => $n,
    'seconds' => round($secs, 6),
    'rate' => round($n / $secs, 2),
    'failures' => $failures,
    'php' => PHP_VERSION,
]), "\n";
exit($failures > 0 ? 1 : 0);
