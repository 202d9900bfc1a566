<?php
// Which of the library's newer features this build of the PHP binding has:
//   php -d ffi.enable=1 features.php API_BASE CA_BUNDLE TOKEN_CACHE_DIR
// Prints {"token_cache_dir": true | "why not", "warm": true | "why not"}.

declare(strict_types=1);

require __DIR__ . '/wan.php';

echo json_encode(JetpackPartnerWan\features($argv[1], $argv[2], $argv[3])), "\n";
