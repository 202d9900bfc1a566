<?php
// Panel page, PHP's curl extension, one provision. Query: api (the API base),
//   token=fresh|apcu  a new handle and token per call, or the token kept in APCu
//   work_ms=N         the page's other work, before the provision

declare(strict_types=1);

require_once dirname(__DIR__) . '/wan.php';

use JetpackPartnerWan as W;

header('Content-Type: application/json');
try {
    $t0 = hrtime(true);
    $base = (string) ($_GET['api'] ?? '');
    $ca = (string) ($_SERVER['BENCH_CA_BUNDLE'] ?? '');
    usleep(1000 * (int) ($_GET['work_ms'] ?? 0));
    $mode = (string) ($_GET['token'] ?? '');
    if ($mode === 'apcu') {
        W\check(W\curl_apcu($base, $ca));
    } elseif ($mode === 'fresh') {
        W\check(W\curl_naive($base, $ca));
    } else {
        throw new InvalidArgumentException('token must be fresh or apcu');
    }
    echo json_encode(['ok' => true, 'pid' => getmypid(), 'ms' => (hrtime(true) - $t0) / 1e6]);
} catch (Throwable $e) {
    http_response_code(502);
    echo json_encode(['ok' => false, 'error' => get_class($e) . ': ' . $e->getMessage()]);
}
