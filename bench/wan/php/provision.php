<?php
// One provision from a fresh PHP process, through the binding, the way a panel's cron job or
// hook script runs it:  php -d ffi.enable=1 provision.php API_BASE CA_BUNDLE [TOKEN_CACHE_DIR]
// Prints the server's reply; exits 1 on failure, 3 if this build has no token_cache_dir.

declare(strict_types=1);

require __DIR__ . '/wan.php';

use JetpackPartnerWan as W;

if ($argc < 3) {
    fwrite(STDERR, "usage: php provision.php API_BASE CA_BUNDLE [TOKEN_CACHE_DIR]\n");
    exit(2);
}
$extra = [];
if (isset($argv[3])) {
    $extra['token_cache_dir'] = $argv[3];
}
try {
    $client = W\binding_client($argv[1], $argv[2], $extra);
} catch (JetpackPartner\InvalidArgumentException $e) {
    if ($extra !== []) {
        echo json_encode(['unsupported' => $e->getMessage()]), "\n";
        exit(3);
    }
    throw $e;
}
echo json_encode(W\check($client->provision('admin', 'https://example.com/', 'premium'))), "\n";
