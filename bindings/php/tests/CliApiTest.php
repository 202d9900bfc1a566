<?php

declare(strict_types=1);

namespace JetpackPartner\Tests;

use JetpackPartner\Exception;

/**
 * The rest of the partner API through the command-line fallback. The tool has no
 * command for building the authorize address, exchanging a code or the password
 * grant: those methods throw unsupported_in_cli_mode.
 */
final class CliApiTest extends ApiTestCase
{
    protected function backendOptions(): array
    {
        return ['backend' => 'cli', 'cli' => Env::cli()];
    }

    protected function expectedBackend(): string
    {
        return 'cli';
    }

    /** The tool reports the code and message only: the body is rebuilt from them. */
    protected function assertErrorBodyCode(string $code, Exception $e): void
    {
        $this->assertSame(['error' => $code, 'message' => $e->getMessage()], $e->getErrorBody());
    }

    private function assertUnsupported(string $method, callable $call): void
    {
        $e = $this->thrown(Exception::class, $call);
        $this->assertSame(Exception::class, get_class($e));
        $this->assertSame('unsupported_in_cli_mode', $e->getErrorCode());
        $this->assertStringContainsString("Client::$method()", $e->getMessage());
    }

    public function testAuthorizeCodeFlow(): void
    {
        $this->assertUnsupported('authorizeUrl', fn () => $this->client()->authorizeUrl(['redirect_uri' => 'http://127.0.0.1:9/callback']));
        $this->assertUnsupported('exchangeCode', fn () => $this->client()->exchangeCode('some-code', 'http://127.0.0.1:9/callback'));
    }

    public function testAuthorizeImplicitFlow(): void
    {
        $this->assertUnsupported('authorizeUrl', fn () => $this->client()->authorizeUrl(['redirect_uri' => 'http://127.0.0.1:9/callback', 'response_type' => 'token']));
    }

    public function testEachAuthorizeUrlHasItsOwnState(): void
    {
        $this->assertUnsupported('authorizeUrl', fn () => $this->client()->authorizeUrl([]));
    }

    public function testPasswordGrant(): void
    {
        $this->assertUnsupported('passwordGrant', fn () => $this->client()->passwordGrant('partner-' . Sandbox::PARTNER_ID, Sandbox::USER_PASSWORD));
    }

    public function testStateMismatch(): void
    {
        // parseRedirect() needs no client: with FFI loaded it works whatever the backend.
        $location = 'http://127.0.0.1:9/callback?code=abc&state=sent';
        $this->assertSame(['code' => 'abc'], \JetpackPartner\Client::parseRedirect($location, 'sent'));
        $e = $this->thrown(\JetpackPartner\InvalidArgumentException::class, fn () => \JetpackPartner\Client::parseRedirect($location, 'other'));
        $this->assertSame('state_mismatch', $e->getErrorCode());
    }

    public function testAccessDenied(): void
    {
        $authorize = Sandbox::http('GET', '/oauth2/authorize?' . http_build_query([
            'client_id' => Sandbox::PARTNER_ID, 'redirect_uri' => 'http://127.0.0.1:9/callback',
            'response_type' => 'code', 'state' => 'sent', 'deny' => 1,
        ]));
        $e = $this->thrown(\JetpackPartner\ApiException::class, fn () => \JetpackPartner\Client::parseRedirect($authorize['headers']['location'], 'sent'));
        $this->assertSame('access_denied', $e->getErrorCode());
    }

    public function testWithoutFfiParseRedirectIsUnsupported(): void
    {
        $script = tempnam(sys_get_temp_dir(), 'jp-noffi-');
        file_put_contents($script, '<?php require ' . var_export(Env::packageDir() . '/autoload.php', true) . ";\n"
            . "try { JetpackPartner\\Client::parseRedirect('http://127.0.0.1:9/cb?code=a&state=s', 's'); }\n"
            . "catch (JetpackPartner\\Exception \$e) { echo \$e->getErrorCode(), ' ', \$e->getMessage(); }\n");
        try {
            $r = Env::php($script, ['-n']);
        } finally {
            unlink($script);
        }
        $this->assertSame(0, $r['status'], $r['stderr']);
        $this->assertStringStartsWith('unsupported_in_cli_mode Client::parseRedirect()', $r['stdout']);
    }

    public function testTheUserTokenTravelsInTheEnvironmentNotTheCommandLine(): void
    {
        $dir = sys_get_temp_dir() . '/jp-php-cli-' . bin2hex(random_bytes(4));
        mkdir($dir);
        $wrapper = $dir . '/jetpack-partner';
        $record = $dir . '/record';
        file_put_contents($wrapper, "#!/bin/sh\n"
            . 'printf "%s\n" "$@" >> ' . escapeshellarg($record) . "\n"
            . 'printf "TOKEN=%s\n" "$JETPACK_PARTNER_USER_TOKEN" >> ' . escapeshellarg($record) . "\n"
            . 'exec ' . escapeshellarg(Env::cli()) . ' "$@"' . "\n");
        chmod($wrapper, 0755);
        $token = Sandbox::userToken();
        putenv('JETPACK_PARTNER_USER_TOKEN=ambient-token-of-the-parent');
        try {
            $client = $this->client(['cli' => $wrapper]);
            $this->assertSame(Sandbox::PARTNER_ID, (string) $client->partnerDetails($token)['id']);
            $this->assertSame('partner-' . Sandbox::PARTNER_ID, $client->request('GET', '/rest/v1/me', [], null, null, $token)['username']);
            // Without a user token, none reaches the tool: not even the parent's.
            $this->assertTrue($client->partnerKeysVerify()['success']);
            $lines = file($record, FILE_IGNORE_NEW_LINES);
            $this->assertSame(["TOKEN=$token", "TOKEN=$token", 'TOKEN='], array_values(preg_grep('/^TOKEN=/', $lines)));
            $this->assertSame('partner', $lines[0]);
            foreach (preg_grep('/^TOKEN=/', $lines, PREG_GREP_INVERT) as $arg) {
                $this->assertStringNotContainsString($token, $arg);
                $this->assertStringNotContainsString(Sandbox::PARTNER_SECRET, $arg);
            }
        } finally {
            putenv('JETPACK_PARTNER_USER_TOKEN');
            @unlink($record);
            @unlink($wrapper);
            @rmdir($dir);
        }
    }
}
