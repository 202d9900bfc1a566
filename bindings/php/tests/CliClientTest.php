<?php

declare(strict_types=1);

namespace JetpackPartner\Tests;

use JetpackPartner\Client;
use JetpackPartner\Exception;

/** The same client through the command-line fallback (used where PHP has no FFI). */
final class CliClientTest extends ClientTestCase
{
    protected function backendOptions(): array
    {
        return ['backend' => 'cli', 'cli' => Env::cli()];
    }

    protected function expectedBackend(): string
    {
        return 'cli';
    }

    public function testTheSecretTravelsInTheEnvironmentNotTheCommandLine(): void
    {
        $dir = sys_get_temp_dir() . '/jp-php-cli-' . bin2hex(random_bytes(4));
        mkdir($dir);
        $wrapper = $dir . '/jetpack-partner';
        $record = $dir . '/record';
        file_put_contents($wrapper, "#!/bin/sh\n"
            . 'printf "%s\n" "$@" > ' . escapeshellarg($record) . "\n"
            . 'printf "SECRET=%s\n" "$JETPACK_PARTNER_SECRET" >> ' . escapeshellarg($record) . "\n"
            . 'exec ' . escapeshellarg(Env::cli()) . ' "$@"' . "\n");
        chmod($wrapper, 0755);
        try {
            $secret = Sandbox::PARTNER_SECRET;
            $client = $this->client(['cli' => $wrapper]);
            $reply = $client->status(Sandbox::uniqueSite('argv'));
            $this->assertArrayHasKey('products', $reply);
            $lines = file($record, FILE_IGNORE_NEW_LINES);
            $secretLine = array_pop($lines);
            $this->assertSame("SECRET=$secret", $secretLine);
            $this->assertSame('status', $lines[0]);
            foreach ($lines as $arg) {
                $this->assertStringNotContainsString($secret, $arg);
            }
        } finally {
            @unlink($record);
            @unlink($wrapper);
            @rmdir($dir);
        }
    }

    public function testForcedByTheEnvironment(): void
    {
        putenv('JETPACK_PARTNER_FORCE_CLI=1');
        try {
            $client = new Client(Sandbox::PARTNER_ID, Sandbox::PARTNER_SECRET, ['api_base' => Sandbox::url()]);
            $this->assertSame('cli', $client->backend());
            $this->assertArrayHasKey('products', $client->status(Sandbox::uniqueSite('forced')));
        } finally {
            putenv('JETPACK_PARTNER_FORCE_CLI');
        }
    }

    public function testMissingToolListsThePathsTried(): void
    {
        $e = $this->thrown(Exception::class, fn () => new Client('1', 's', ['backend' => 'cli', 'cli' => '/nonexistent/jetpack-partner']));
        $this->assertSame('cli_not_found', $e->getErrorCode());
        $this->assertStringContainsString('/nonexistent/jetpack-partner', $e->getMessage());
    }
}
