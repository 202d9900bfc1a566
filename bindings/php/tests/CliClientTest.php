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
            . 'printf "PASSWORDS=%s/%s\n" "$JETPACK_PARTNER_SSH_PASS" "$JETPACK_PARTNER_FTP_PASS" >> ' . escapeshellarg($record) . "\n"
            . 'printf "SECRET=%s\n" "$JETPACK_PARTNER_SECRET" >> ' . escapeshellarg($record) . "\n"
            . 'exec ' . escapeshellarg(Env::cli()) . ' "$@"' . "\n");
        chmod($wrapper, 0755);
        try {
            $secret = Sandbox::PARTNER_SECRET;
            $client = $this->client(['cli' => $wrapper]);
            $key = "-----BEGIN OPENSSH PRIVATE KEY-----\nkey-material-" . bin2hex(random_bytes(6)) . "\n-----END OPENSSH PRIVATE KEY-----\n";
            $reply = $client->provision('admin', Sandbox::uniqueSite('argv'), 'premium', [
                'ssh_user' => 'u', 'ssh_private_key' => $key, 'ssh_pass' => 'ssh-pw-x1', 'ftp_user' => 'f', 'ftp_pass' => 'ftp-pw-x2',
            ]);
            $this->assertTrue($reply['success']);
            $this->assertTrue($reply['ssh_set'] ?? null, json_encode($reply));
            $lines = file($record, FILE_IGNORE_NEW_LINES);
            $secretLine = array_pop($lines);
            $this->assertSame("SECRET=$secret", $secretLine);
            $this->assertSame('PASSWORDS=ssh-pw-x1/ftp-pw-x2', array_pop($lines));
            $this->assertSame('provision', $lines[0]);
            $this->assertContains('--user=admin', $lines);
            foreach ($lines as $arg) {
                $this->assertStringNotContainsString($secret, $arg);
                $this->assertStringNotContainsString('key-material-', $arg);
                $this->assertStringNotContainsString('-pw-x', $arg);
            }
            // The key file is gone once the call returned.
            $keyArg = preg_grep('/^--ssh_private_key_file=/', $lines);
            $this->assertCount(1, $keyArg);
            $this->assertFileDoesNotExist(substr((string) reset($keyArg), strlen('--ssh_private_key_file=')));
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
            $this->assertTrue($client->provision('admin', Sandbox::uniqueSite('forced'))['success']);
        } finally {
            putenv('JETPACK_PARTNER_FORCE_CLI');
        }
    }

    public function testResponseSizeLimitIsRefused(): void
    {
        $e = $this->thrown(\JetpackPartner\InvalidArgumentException::class, fn () => $this->client(['max_response_bytes' => 1000]));
        $this->assertStringStartsWith('max_response_bytes', $e->getMessage());
    }

    /** A stand-in for the tool that behaves as $body says (a shell script). */
    private function fakeTool(string $body): string
    {
        $file = tempnam(sys_get_temp_dir(), 'jp-fake-cli-');
        file_put_contents($file, "#!/bin/sh\n" . $body . "\n");
        chmod($file, 0755);
        return $file;
    }

    public function testToolCrashIsReported(): void
    {
        $tool = $this->fakeTool('echo "thread panicked" >&2; exit 101');
        try {
            $e = $this->thrown(Exception::class, fn () => $this->client(['cli' => $tool])->status('example.com'));
            $this->assertSame('cli_failed', $e->getErrorCode());
            $this->assertStringContainsString('exited with status 101', $e->getMessage());
            $this->assertStringContainsString('thread panicked', $e->getMessage());
        } finally {
            unlink($tool);
        }
    }

    public function testToolUsageErrorIsInvalid(): void
    {
        $tool = $this->fakeTool('echo "jetpack-partner: --site needs a value" >&2; exit 2');
        try {
            $e = $this->thrown(\JetpackPartner\InvalidArgumentException::class, fn () => $this->client(['cli' => $tool])->status('example.com'));
            $this->assertSame('jetpack-partner: --site needs a value', $e->getMessage());
        } finally {
            unlink($tool);
        }
    }

    public function testToolOutputThatIsNotJsonIsAnInvalidResponse(): void
    {
        $tool = $this->fakeTool('echo "<html>"; exit 0');
        try {
            $e = $this->thrown(\JetpackPartner\TransportException::class, fn () => $this->client(['cli' => $tool])->status('example.com'));
            $this->assertSame('invalid_response', $e->getErrorCode());
        } finally {
            unlink($tool);
        }
    }

    public function testMissingToolListsThePathsTried(): void
    {
        $e = $this->thrown(Exception::class, fn () => new Client('1', 's', ['backend' => 'cli', 'cli' => '/nonexistent/jetpack-partner']));
        $this->assertSame('cli_not_found', $e->getErrorCode());
        $this->assertStringContainsString('/nonexistent/jetpack-partner', $e->getMessage());
    }
}
