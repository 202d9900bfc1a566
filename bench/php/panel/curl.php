<?php
// Panel page, curl per request: what a panel does today on every page that
// provisions: a new curl handle, a new token, then the provision.

declare(strict_types=1);

require __DIR__ . '/../common.php';

$base = (string) ($_SERVER['BENCH_API_BASE'] ?? '');
header('Content-Type: application/json');
try {
    $reply = JetpackPartnerBench\provision_curl_common($base);
    if (($reply['success'] ?? null) !== true) {
        throw new RuntimeException('reply without success=true');
    }
    echo json_encode(['ok' => true, 'next_url' => $reply['next_url'] ?? null]);
} catch (Throwable $e) {
    http_response_code(502);
    echo json_encode(['ok' => false, 'error' => $e->getMessage()]);
}
