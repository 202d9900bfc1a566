<?php

declare(strict_types=1);

namespace JetpackPartner\Tests;

use PHPUnit\Framework\TestCase;

/** The PHP examples (examples/php/) run against the sandbox. */
final class ExamplesTest extends TestCase
{
    private static function example(string $name): string
    {
        return Env::repoRoot() . '/examples/php/' . $name;
    }

    /** @return array<string, string> */
    private static function credentials(): array
    {
        return [
            'JETPACK_PARTNER_ID' => Sandbox::PARTNER_ID,
            'JETPACK_PARTNER_SECRET' => Sandbox::PARTNER_SECRET,
            'JETPACK_PARTNER_API_BASE' => Sandbox::url(),
        ];
    }

    public function testReporting(): void
    {
        $client = new \JetpackPartner\Client(Sandbox::PARTNER_ID, Sandbox::PARTNER_SECRET, ['api_base' => Sandbox::url()]);
        $site = Sandbox::uniqueSite('example-reporting');
        Sandbox::connectSite($site);
        $client->provision('admin', $site, 'jetpack-anti-spam');
        $r = Env::php(self::example('reporting.php'), [], self::credentials() + [
            'JETPACK_PARTNER_USERNAME' => 'partner-' . Sandbox::PARTNER_ID,
            'JETPACK_PARTNER_PASSWORD' => Sandbox::USER_PASSWORD,
            'JETPACK_PARTNER_USER_TOKEN' => false,
        ], ['jetpack-anti-spam']);
        $this->assertSame(0, $r['status'], $r['stderr'] . $r['stdout']);
        $this->assertStringContainsString('partner Partner ' . Sandbox::PARTNER_ID, $r['stdout']);
        $this->assertStringContainsString($site, $r['stdout']);
        $this->assertMatchesRegularExpression('/jetpack-anti-spam\s+\d+ x\s+5\.00/', $r['stdout']);
        $this->assertStringNotContainsString('jetpack-backup-daily  ', $r['stdout'], 'the plan filter applies');

        $r = Env::php(self::example('reporting.php'), [], self::credentials() + ['JETPACK_PARTNER_USER_TOKEN' => 'not-a-token']);
        $this->assertSame(1, $r['status']);
        $this->assertStringContainsString('ApiException: invalid_token', $r['stderr']);
    }

    public function testLicensing(): void
    {
        $site = Sandbox::uniqueSite('example-licensing');
        $r = Env::php(self::example('licensing.php'), [], self::credentials(), [$site, 'jetpack-scan']);
        $this->assertSame(0, $r['status'], $r['stderr'] . $r['stdout']);
        $this->assertMatchesRegularExpression('/site .*: success \(blog \d+\)/', $r['stdout']);
        $this->assertStringContainsString('detached and revoked at ', $r['stdout']);

        $r = Env::php(self::example('licensing.php'), [], self::credentials(), [$site, 'no-such-product']);
        $this->assertSame(2, $r['status']);
        $this->assertStringContainsString('unknown product no-such-product', $r['stderr']);
    }

    public function testOauthLoginPage(): void
    {
        $port = Sandbox::closedPort();
        $sessions = sys_get_temp_dir() . '/jp-php-sessions-' . bin2hex(random_bytes(4));
        mkdir($sessions, 0700);
        $env = getenv();
        foreach (self::credentials() as $k => $v) {
            $env[$k] = $v;
        }
        unset($env['JETPACK_PARTNER_REDIRECT_URI']);
        $log = $sessions . '/server.log';
        $proc = proc_open(
            [PHP_BINARY, '-d', 'ffi.enable=1', '-d', 'session.save_path=' . $sessions, '-S', "127.0.0.1:$port", self::example('oauth-login.php')],
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', $log, 'w'], 2 => ['file', $log, 'a']],
            $pipes,
            null,
            $env
        );
        $this->assertIsResource($proc);
        $base = "http://127.0.0.1:$port";
        try {
            $deadline = microtime(true) + 10;
            while (@fsockopen('127.0.0.1', $port) === false) {
                $this->assertLessThan($deadline, microtime(true), 'php -S did not start: ' . @file_get_contents($log));
                usleep(50000);
            }

            // Sign in: the page, WordPress.com's authorize page (the sandbox approves), the callback.
            [$cookie, $authorize] = $this->start($base);
            $this->assertStringStartsWith(Sandbox::url() . '/oauth2/authorize?', $authorize);
            $this->assertStringContainsString('redirect_uri=' . rawurlencode("$base/callback"), $authorize);
            $callback = $this->redirect($authorize);
            $this->assertStringStartsWith("$base/callback?code=", $callback);
            $signedIn = Sandbox::http('GET', $callback, '', "Cookie: $cookie\r\n");
            $this->assertSame(200, $signedIn['status'], $signedIn['body']);
            $this->assertStringContainsString('Signed in as WordPress.com user', $signedIn['body']);
            $this->assertStringNotContainsString('access_token', $signedIn['body']);
            $session = self::cookie($signedIn['headers']);
            $me = Sandbox::http('GET', "$base/me", '', "Cookie: $session\r\n");
            $this->assertStringContainsString('Partner ID ' . Sandbox::PARTNER_ID, $me['body']);

            // The same redirect again: its state was used up.
            $replay = Sandbox::http('GET', $callback, '', "Cookie: $session\r\n");
            $this->assertSame(400, $replay['status']);
            $this->assertStringContainsString('No sign-in was started', $replay['body']);

            // A redirect with another state than the one this browser's sign-in sent.
            [$cookie, $authorize] = $this->start($base);
            $forged = preg_replace('/state=[^&]*/', 'state=forged', $this->redirect($authorize));
            $refused = Sandbox::http('GET', $forged, '', "Cookie: $cookie\r\n");
            $this->assertSame(400, $refused['status']);
            $this->assertStringContainsString('(state_mismatch)', $refused['body']);

            // The user declines.
            [$cookie, $authorize] = $this->start($base);
            $denied = Sandbox::http('GET', $this->redirect($authorize . '&deny=1'), '', "Cookie: $cookie\r\n");
            $this->assertSame(403, $denied['status']);
            $this->assertStringContainsString('You declined the authorization.', $denied['body']);
        } finally {
            proc_terminate($proc);
            proc_close($proc);
            Env::removeTree($sessions);
        }
    }

    /** @return array{string, string} the session cookie and the authorize address */
    private function start(string $base): array
    {
        $reply = Sandbox::http('GET', "$base/");
        $this->assertSame(302, $reply['status'], $reply['body']);
        return [self::cookie($reply['headers']), $reply['headers']['location']];
    }

    private function redirect(string $url): string
    {
        $reply = Sandbox::http('GET', $url);
        $this->assertSame(302, $reply['status'], $reply['body']);
        return $reply['headers']['location'];
    }

    /** @param array<string, string> $headers */
    private static function cookie(array $headers): string
    {
        self::assertArrayHasKey('set-cookie', $headers);
        return explode(';', $headers['set-cookie'], 2)[0];
    }
}
