<?php
// 1,000 provisions (or N) through Client::provisionMany (FFI) with K calls in flight; prints one JSON line.
//   php -d ffi.enable=1 bulk_bench.php SANDBOX_URL N K TAG [JOURNAL]

declare(strict_types=1);

require dirname(__DIR__, 2) . '/bindings/php/autoload.php';

[, $url, $n, $k, $tag] = $argv;
$journal = $argv[5] ?? null;
$n = (int) $n;
$k = (int) $k;
$client = new JetpackPartner\Client('12345', 'sandbox-demo-secret', ['api_base' => $url, 'backend' => 'ffi']);
try {
    $client->status('bench-warm-up.example'); // the token, before the clock starts
} catch (JetpackPartner\Exception $e) {
}
$items = [];
for ($i = 0; $i < $n; $i++) {
    $items[] = ['local_user' => 'admin', 'siteurl' => "https://$tag-$i.example/", 'plan' => 'premium'];
}
$start = hrtime(true);
$ok = 0;
foreach ($client->provisionMany($items, ['concurrency' => $k, 'journal' => $journal]) as $r) {
    $ok += $r['outcome'] === 'done' ? 1 : 0;
}
$seconds = (hrtime(true) - $start) / 1e9;
echo json_encode(['lang' => 'php', 'k' => $k, 'n' => $n, 'journal' => $journal !== null,
    'seconds' => round($seconds, 3), 'per_second' => round($n / $seconds, 1), 'ok' => $ok]), "\n";
exit($ok === $n ? 0 : 1);
