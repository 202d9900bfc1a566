<?php
// Panel page, library: the binding preloaded into PHP-FPM, one provision per request.

declare(strict_types=1);

require_once __DIR__ . '/../common.php';
require_once __DIR__ . '/../binding.php';

$base = (string) ($_SERVER['BENCH_API_BASE'] ?? '');
header('Content-Type: application/json');
try {
    if (!\JetpackPartner\Library::isPreloaded()) {
        throw new RuntimeException('the library is not preloaded in this PHP-FPM');
    }
    $client = JetpackPartnerBench\binding_client($base);
    $reply = JetpackPartnerBench\binding_provision($client);
    if (($reply['success'] ?? null) !== true) {
        throw new RuntimeException('reply without success=true');
    }
    echo json_encode(['ok' => true, 'next_url' => $reply['next_url'] ?? null]);
} catch (Throwable $e) {
    http_response_code(502);
    echo json_encode(['ok' => false, 'error' => get_class($e) . ': ' . $e->getMessage()]);
}
