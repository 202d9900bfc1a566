<?php
// Panel page that provisions nothing: the ceiling of nginx + PHP-FPM on this machine.

declare(strict_types=1);

header('Content-Type: application/json');
echo json_encode(['ok' => true, 'next_url' => null]);
