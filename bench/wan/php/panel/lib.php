<?php
// Panel page, library: a new client per page (the library keeps the token and the connection
// in the worker), one provision. Query: api (the API base), and optionally
//   cache=1        the token cache shared between processes (token_cache_dir, BENCH_TOKEN_CACHE)
//   warm=1         $client->warmInBackground() before the page's other work
//   work_ms=N      the page's other work (templates, database), before the provision

declare(strict_types=1);

require_once dirname(__DIR__) . '/wan.php';

use JetpackPartnerWan as W;

header('Content-Type: application/json');
try {
    if (!\JetpackPartner\Library::isPreloaded()) {
        throw new RuntimeException('the library is not preloaded in this PHP-FPM');
    }
    $t0 = hrtime(true);
    $extra = [];
    if (($_GET['cache'] ?? '') === '1') {
        $extra['token_cache_dir'] = (string) ($_SERVER['BENCH_TOKEN_CACHE'] ?? '');
    }
    $client = W\binding_client((string) ($_GET['api'] ?? ''), (string) ($_SERVER['BENCH_CA_BUNDLE'] ?? ''), $extra);
    if (($_GET['warm'] ?? '') === '1') {
        $client->warmInBackground();
    }
    usleep(1000 * (int) ($_GET['work_ms'] ?? 0));
    W\check($client->provision('admin', 'https://example.com/', 'premium'));
    echo json_encode(['ok' => true, 'pid' => getmypid(), 'ms' => (hrtime(true) - $t0) / 1e6]);
} catch (Throwable $e) {
    http_response_code(502);
    echo json_encode(['ok' => false, 'error' => get_class($e) . ': ' . $e->getMessage()]);
}
