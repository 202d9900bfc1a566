<?php

declare(strict_types=1);

namespace JetpackPartner\Tests;

use JetpackPartner\ApiException;
use JetpackPartner\Client;
use JetpackPartner\Exception;
use JetpackPartner\InvalidArgumentException;
use JetpackPartner\TransportException;
use PHPUnit\Framework\TestCase;

/**
 * The behaviour every backend must show. FfiClientTest runs it in-process through
 * FFI, CliClientTest through the command-line fallback.
 */
abstract class ClientTestCase extends TestCase
{
    use UsesClient;

    public function testUsesTheExpectedBackend(): void
    {
        $this->assertSame($this->expectedBackend(), $this->client()->backend());
    }

    public function testProvisionReturnsTheServerReply(): void
    {
        $site = Sandbox::uniqueSite('provision');
        $reply = $this->client()->provision('admin', $site, 'jetpack-backup-daily');
        $this->assertTrue($reply['success']);
        $this->assertTrue($reply['auth_required']);
        $this->assertIsString($reply['next_url']);
        $this->assertNotSame('', $reply['next_url']);
    }

    public function testProvisionOfASiteUrlWithoutScheme(): void
    {
        // The 2018 WHMCS module strips the scheme; WordPress.com (and the sandbox) accept it.
        $site = Sandbox::uniqueSite('bare');
        $bare = substr($site, strlen('https://')) . '/blog';
        $reply = $this->client()->provision('admin', $bare, 'premium');
        $this->assertTrue($reply['success']);
        // The sandbox got it without a scheme and took http:// for the site it did not know.
        $this->assertStringContainsString('siteurl=' . rawurlencode('http://' . $bare), $reply['next_url']);
        $status = $this->client()->status($site . '/blog');
        $this->assertSame('premium', $status['products'][0]['slug']);
    }

    public function testProvisionOfAConnectedSiteNeedsNoAuthorization(): void
    {
        $site = Sandbox::uniqueSite('connected');
        Sandbox::connectSite($site);
        $reply = $this->client()->provision('admin', $site, 'premium');
        $this->assertTrue($reply['success']);
        $this->assertFalse($reply['auth_required']);
    }

    public function testProvisionWithoutPlanAndWithEveryOption(): void
    {
        $site = Sandbox::uniqueSite('options');
        $reply = $this->client()->provision('admin', $site, null, [
            'force_register' => true,
            'force_connect' => false,
            'onboarding' => true,
            'wpcom_user_email' => 'owner@example.com',
            'partner_tracking_id' => 'staging-7',
            'ssh_user' => 'backup',
            'ssh_pass' => 'ssh-pass-value',
            'ssh_host' => 'ssh.example.com',
            'ssh_port' => 2222,
            'ftp_user' => 'ftp-user',
            'ftp_pass' => 'ftp-pass-value',
            'ftp_host' => 'ftp.example.com',
            'ftp_port' => 21,
        ]);
        $this->assertTrue($reply['success']);
        $this->assertArrayHasKey('next_url', $reply);
        $this->assertTrue($reply['ssh_set'] ?? null, json_encode($reply));
    }

    public function testStatusShowsTheProvisionedPlan(): void
    {
        $site = Sandbox::uniqueSite('status');
        $client = $this->client();
        $client->provision('admin', $site, 'jetpack-backup-daily');
        $status = $client->status($site);
        $this->assertArrayHasKey('blog', $status);
        $this->assertArrayHasKey('products', $status);
        $slugs = array_column($status['products'], 'slug');
        $this->assertContains('jetpack-backup-daily', $slugs, json_encode($status));
    }

    public function testCancelRemovesThePlan(): void
    {
        $site = Sandbox::uniqueSite('cancel');
        $client = $this->client();
        Sandbox::connectSite($site);
        $client->provision('admin', $site, 'premium');
        $reply = $client->cancel($site);
        $this->assertTrue($reply['success']);
        // Nothing left to cancel: a reply, not an error.
        $again = $client->cancel($site);
        $this->assertFalse($again['success']);
    }

    public function testCancelOfAStandAloneProductNamesThePlan(): void
    {
        $site = Sandbox::uniqueSite('standalone');
        $client = $this->client();
        $client->provision('admin', $site, 'jetpack-backup-daily');
        $this->assertFalse($client->cancel($site)['success']);
        $this->assertTrue($client->cancel($site, ['plan' => 'jetpack-backup-daily'])['success']);
        $this->assertSame([], array_column($client->status($site)['products'], 'slug'));
    }

    public function testUnknownSiteIsAnApiException(): void
    {
        $e = $this->thrown(ApiException::class, fn () => $this->client()->status(Sandbox::uniqueSite('unknown')));
        $this->assertSame('unknown_blog', $e->getErrorCode());
        $this->assertSame(404, $e->getHttpStatus());
    }

    public function testCancelAllByIdentifier(): void
    {
        $site = Sandbox::uniqueSite('cancelall');
        $client = $this->client();
        Sandbox::connectSite($site);
        $client->provision('admin', $site, 'jetpack-scan');
        $identifier = substr($site, strlen('https://'));
        $reply = $client->cancel($identifier, ['cancel_all' => true]);
        $this->assertTrue($reply['success']);
        $this->assertArrayHasKey('activations', $reply);
        $this->assertArrayHasKey('pending_activations', $reply);
    }

    public function testPartnerKeyNewGivesWorkingCredentials(): void
    {
        $key = $this->client()->partnerKeyNew('Reseller ' . bin2hex(random_bytes(3)), [
            'allowed_premium_plans' => 5,
            'allowed_personal_plans' => 0,
            'allowed_professional_plans' => 1,
            'notes' => 'made by the PHP tests',
        ]);
        $this->assertStringStartsWith('Reseller ', $key['name']);
        $this->assertSame('5', (string) $key['allowed_premium_plans']);
        $this->assertIsString($key['client_secret']);
        $reseller = $this->client([], (string) $key['client_id'], $key['client_secret']);
        $reply = $reseller->provision('admin', Sandbox::uniqueSite('reseller'), 'premium');
        $this->assertTrue($reply['success']);
    }

    public function testServerRefusalIsAnApiException(): void
    {
        $e = $this->thrown(ApiException::class, fn () => $this->client()->provision('admin', Sandbox::uniqueSite(), 'no-such-plan'));
        $this->assertSame('invalid_plan', $e->getErrorCode());
        $this->assertSame(400, $e->getHttpStatus());
        $this->assertStringContainsString('no-such-plan', $e->getMessage());
        $this->assertSame('invalid_plan', $e->getErrorBody()['error'] ?? null);
    }

    public function testTokenCacheDirKeepsTheTokenForTheNextClient(): void
    {
        $dir = sys_get_temp_dir() . '/jp-php-token-cache-' . bin2hex(random_bytes(6));
        mkdir($dir, 0700);
        try {
            // Settings no other test uses, so that no token is shared in this process.
            $options = ['token_cache_dir' => $dir, 'timeout' => 13];
            $this->assertTrue($this->client($options)->partnerKeysVerify()['success']);
            $files = glob($dir . '/*') ?: [];
            $this->assertCount(1, $files);
            $this->assertSame(0600, fileperms($files[0]) & 0777);
            $this->assertStringNotContainsString(Sandbox::PARTNER_SECRET, (string) file_get_contents($files[0]));
            $tokens = Sandbox::stats()['requests']['token'] ?? 0;
            // A client with other settings in this process, the same cache: no new token request.
            $this->assertTrue($this->client($options + ['connect_timeout' => 4])->partnerKeysVerify()['success']);
            $this->assertSame($tokens, Sandbox::stats()['requests']['token'] ?? 0);
        } finally {
            array_map('unlink', glob($dir . '/*') ?: []);
            rmdir($dir);
        }
    }

    public function testMissingTokenCacheDirIsInvalid(): void
    {
        $e = $this->thrown(InvalidArgumentException::class, fn () => $this->client(['token_cache_dir' => '/nonexistent/jp-cache'])->status(Sandbox::uniqueSite()));
        $this->assertStringStartsWith('token_cache_dir: ', $e->getMessage());
    }

    public function testWarmThenCall(): void
    {
        $client = $this->client(['idle_timeout' => 42]);
        $client->warm();
        $client->warm();
        $this->assertTrue($client->partnerKeysVerify()['success']);
    }

    public function testWarmInBackgroundThenCall(): void
    {
        $client = $this->client(['idle_timeout' => 43]);
        $client->warmInBackground();
        $this->assertTrue($client->partnerKeysVerify()['success']);
        $client->warmInBackground();
        $this->assertTrue($client->partnerKeysVerify()['success']);
    }

    public function testAFailedBackgroundWarmUpShowsInTheNextCall(): void
    {
        $secret = 'wrong-secret-' . bin2hex(random_bytes(8));
        $client = $this->client([], null, $secret);
        $client->warmInBackground();
        $e = $this->thrown(ApiException::class, fn () => $client->status(Sandbox::uniqueSite()));
        $this->assertSame('token_error', $e->getErrorCode());
        $this->assertStringNotContainsString($secret, $e->getMessage());
    }

    public function testWrongSecretIsATokenErrorWithoutTheSecret(): void
    {
        $secret = 'wrong-secret-' . bin2hex(random_bytes(8));
        $e = $this->thrown(ApiException::class, fn () => $this->client([], null, $secret)->status(Sandbox::uniqueSite()));
        $this->assertSame('token_error', $e->getErrorCode());
        $this->assertStringContainsString('invalid_client', $e->getMessage());
        $this->assertStringNotContainsString($secret, $e->getMessage());
        $this->assertStringNotContainsString($secret, (string) $e);
    }

    /**
     * The frames of the binding's own functions (not the tests' helpers, which hold the secret too).
     *
     * @return list<array<mixed>>
     */
    private static function bindingFrames(\Throwable $e): array
    {
        $frames = array_values(array_filter($e->getTrace(), function (array $f): bool {
            $class = $f['class'] ?? '';
            return str_starts_with($class, 'JetpackPartner\\') && !str_starts_with($class, 'JetpackPartner\\Tests\\');
        }));
        self::assertNotEmpty($frames);
        self::assertNotEmpty(array_filter($frames, fn ($f) => ($f['args'] ?? []) !== []), 'no arguments recorded in the trace');
        return $frames;
    }

    public function testTracesHideTheSecrets(): void
    {
        $old = ini_set('zend.exception_ignore_args', '0');
        try {
            $secret = 'trace-secret-' . bin2hex(random_bytes(8));
            $e = $this->thrown(InvalidArgumentException::class, fn () => $this->client(['colour' => 'blue'], null, $secret));
            $this->assertStringNotContainsString($secret, print_r(self::bindingFrames($e), true));

            $sshPass = 'ssh-pass-' . bin2hex(random_bytes(8));
            $site = Sandbox::uniqueSite('trace');
            $e = $this->thrown(ApiException::class, fn () => $this->client()->provision('admin', $site, 'no-such-plan', ['ssh_user' => 'u', 'ssh_pass' => $sshPass, 'ssh_host' => 'h']));
            $this->assertStringNotContainsString($sshPass, print_r(self::bindingFrames($e), true));
            $this->assertStringNotContainsString($sshPass, $e->getMessage());
        } finally {
            ini_set('zend.exception_ignore_args', (string) $old);
        }
    }

    public function testClientDumpsHideTheSecret(): void
    {
        $secret = 'hidden-' . bin2hex(random_bytes(8));
        $client = $this->client([], null, $secret);
        $this->assertStringNotContainsString($secret, print_r($client, true));
        ob_start();
        var_dump($client);
        $this->assertStringNotContainsString($secret, (string) ob_get_clean());
    }

    public function testEmptyLocalUserIsInvalid(): void
    {
        $e = $this->thrown(InvalidArgumentException::class, fn () => $this->client()->provision('', Sandbox::uniqueSite()));
        $this->assertSame('invalid_argument', $e->getErrorCode());
        $this->assertStringStartsWith('local_user', $e->getMessage());
        $this->assertNull($e->getHttpStatus());
    }

    public function testBadSiteUrlIsInvalid(): void
    {
        $e = $this->thrown(InvalidArgumentException::class, fn () => $this->client()->provision('admin', 'not a url'));
        $this->assertSame('invalid_argument', $e->getErrorCode());
        $this->assertStringStartsWith('siteurl', $e->getMessage());
    }

    public function testEmptyValuesAreInvalid(): void
    {
        $client = $this->client();
        $e = $this->thrown(InvalidArgumentException::class, fn () => $client->provision('admin', Sandbox::uniqueSite(), ''));
        $this->assertStringStartsWith('plan: ', $e->getMessage());
        $e = $this->thrown(InvalidArgumentException::class, fn () => $client->provision('admin', Sandbox::uniqueSite(), null, ['wpcom_user_email' => '']));
        $this->assertStringStartsWith('wpcom_user_email: ', $e->getMessage());
        $e = $this->thrown(InvalidArgumentException::class, fn () => $client->status(''));
        $this->assertStringStartsWith('site: ', $e->getMessage());
        $e = $this->thrown(InvalidArgumentException::class, fn () => $client->partnerKeyNew(''));
        $this->assertStringStartsWith('name: ', $e->getMessage());
    }

    public function testOptionValuesAreConvertedLikeTheLibraryDoes(): void
    {
        $key = $this->client()->partnerKeyNew('Converted', ['allowed_premium_plans' => '7']);
        $this->assertSame('7', (string) $key['allowed_premium_plans']);
        $reply = $this->client()->provision('admin', Sandbox::uniqueSite('onboarding'), null, ['onboarding' => 1]);
        $this->assertTrue($reply['success']);
        $e = $this->thrown(InvalidArgumentException::class, fn () => $this->client()->partnerKeyNew('k', ['allowed_premium_plans' => -1]));
        $this->assertStringStartsWith('allowed_premium_plans: ', $e->getMessage());
    }

    public function testUnknownOptionIsInvalid(): void
    {
        $e = $this->thrown(InvalidArgumentException::class, fn () => $this->client()->cancel(Sandbox::uniqueSite(), ['no_such_option' => true]));
        $this->assertStringContainsString('no_such_option', $e->getMessage());
    }

    public function testNulByteIsInvalid(): void
    {
        $e = $this->thrown(InvalidArgumentException::class, fn () => $this->client()->status("example.com\0evil"));
        $this->assertStringStartsWith('site', $e->getMessage());
    }

    public function testBadClientOptionsAreInvalid(): void
    {
        $e = $this->thrown(InvalidArgumentException::class, fn () => $this->client(['timeout' => -1]));
        $this->assertStringStartsWith('timeout', $e->getMessage());
        $e = $this->thrown(InvalidArgumentException::class, fn () => $this->client(['colour' => 'blue']));
        $this->assertStringStartsWith('colour', $e->getMessage());
    }

    public function testPlainHttpToARemoteHostIsInvalid(): void
    {
        // Refused before any connection: at construction (FFI) or at the first call (CLI).
        $e = $this->thrown(InvalidArgumentException::class, function () {
            $this->client(['api_base' => 'http://public-api.wordpress.com'])->status('example.com');
        });
        $this->assertStringStartsWith('api_base: ', $e->getMessage());
    }

    public function testTimeout(): void
    {
        $site = Sandbox::uniqueSite('timeout');
        Sandbox::fault(['endpoint' => 'status', 'site' => substr($site, 8), 'kind' => 'delay', 'delay_ms' => 3000, 'count' => 0]);
        $start = microtime(true);
        $e = $this->thrown(TransportException::class, fn () => $this->client(['timeout' => 0.5, 'max_attempts' => 1])->status($site));
        $this->assertSame('timeout', $e->getErrorCode());
        $this->assertLessThan(2.9, microtime(true) - $start);
    }

    public function testRefusedConnectionIsATransportError(): void
    {
        $port = Sandbox::closedPort();
        $e = $this->thrown(TransportException::class, fn () => $this->client(['api_base' => "http://127.0.0.1:$port", 'max_attempts' => 1])->status('example.com'));
        $this->assertSame('transport_error', $e->getErrorCode());
        $this->assertNull($e->getHttpStatus());
    }

    public function testTlsFailure(): void
    {
        // The sandbox speaks plain HTTP: a TLS handshake with it fails.
        $https = preg_replace('~^http:~', 'https:', Sandbox::url());
        $e = $this->thrown(TransportException::class, fn () => $this->client(['api_base' => $https, 'max_attempts' => 1])->status('example.com'));
        $this->assertSame('tls_error', $e->getErrorCode());
    }

    public function testConnectionResetAfterProcessingIsOutcomeUnknown(): void
    {
        $site = Sandbox::uniqueSite('reset');
        Sandbox::fault(['endpoint' => 'provision', 'site' => substr($site, 8), 'kind' => 'reset', 'count' => 0]);
        $e = $this->thrown(TransportException::class, fn () => $this->client()->provision('admin', $site, 'premium'));
        $this->assertSame('outcome_unknown', $e->getErrorCode());
    }

    public function testInvalidJsonIsAnInvalidResponse(): void
    {
        $site = Sandbox::uniqueSite('badjson');
        Sandbox::fault(['endpoint' => 'status', 'site' => substr($site, 8), 'kind' => 'invalid_json', 'count' => 0]);
        $e = $this->thrown(TransportException::class, fn () => $this->client(['max_attempts' => 1])->status($site));
        $this->assertSame('invalid_response', $e->getErrorCode());
        $this->assertSame(200, $e->getHttpStatus());
    }

    public function testOversizedReplyIsTooLarge(): void
    {
        $site = Sandbox::uniqueSite('big');
        Sandbox::fault(['endpoint' => 'status', 'site' => substr($site, 8), 'kind' => 'oversized', 'size' => 2 * 1024 * 1024, 'count' => 0]);
        $e = $this->thrown(TransportException::class, fn () => $this->client(['max_attempts' => 1])->status($site));
        $this->assertSame('response_too_large', $e->getErrorCode());
    }

    public function testServerErrorAfterRetriesIsAnApiException(): void
    {
        $site = Sandbox::uniqueSite('unavailable');
        Sandbox::fault(['endpoint' => 'status', 'site' => substr($site, 8), 'kind' => 'status', 'status' => 503, 'count' => 0]);
        $e = $this->thrown(ApiException::class, fn () => $this->client(['max_attempts' => 2])->status($site));
        $this->assertSame(503, $e->getHttpStatus());
        $this->assertSame('sandbox_fault', $e->getErrorCode());
    }

    public function testTransientFaultIsRetried(): void
    {
        $site = Sandbox::uniqueSite('retry');
        $this->client()->provision('admin', $site);
        Sandbox::fault(['endpoint' => 'status', 'site' => substr($site, 8), 'kind' => 'status', 'status' => 503, 'count' => 1]);
        $status = $this->client(['max_attempts' => 3])->status($site);
        $this->assertArrayHasKey('products', $status);
    }

    public function testThroughAProxy(): void
    {
        $binary = Proxy::binary();
        if ($binary === null) {
            $this->markTestSkipped('tinyproxy is not installed');
        }
        $proxy = new Proxy($binary);
        try {
            $reply = $this->client(['proxy' => $proxy->url()])->provision('admin', Sandbox::uniqueSite('proxy'), 'premium');
            $this->assertTrue($reply['success']);
            $port = (string) parse_url(Sandbox::url(), PHP_URL_PORT);
            $this->assertMatchesRegularExpression('/(CONNECT|GET|POST) \S*127\.0\.0\.1:' . $port . '/', $proxy->log());
        } finally {
            $proxy->stop();
        }
    }

    public function testUnreachableProxyIsATransportError(): void
    {
        $port = Sandbox::closedPort();
        $e = $this->thrown(TransportException::class, fn () => $this->client(['proxy' => "http://127.0.0.1:$port", 'max_attempts' => 1])->provision('admin', Sandbox::uniqueSite()));
        $this->assertSame('transport_error', $e->getErrorCode());
    }

    public function testUnreadableCaBundleIsInvalid(): void
    {
        $e = $this->thrown(InvalidArgumentException::class, function () {
            $this->client(['ca_bundle' => '/nonexistent/ca.pem'])->provision('admin', Sandbox::uniqueSite());
        });
        $this->assertStringStartsWith('ca_bundle: ', $e->getMessage());
    }

    public function testHtmlErrorPageLeavesTheOutcomeUnknown(): void
    {
        $site = Sandbox::uniqueSite('html');
        Sandbox::fault(['endpoint' => 'provision', 'site' => substr($site, 8), 'kind' => 'html', 'status' => 502, 'count' => 0]);
        $e = $this->thrown(TransportException::class, fn () => $this->client(['max_attempts' => 1])->provision('admin', $site, 'premium'));
        $this->assertSame('outcome_unknown', $e->getErrorCode());
        $this->assertSame(502, $e->getHttpStatus());
    }

    public function testSlowReplyTimesOut(): void
    {
        $site = Sandbox::uniqueSite('slow');
        Sandbox::fault(['endpoint' => 'provision', 'site' => substr($site, 8), 'kind' => 'slow_body', 'delay_ms' => 500, 'count' => 0]);
        $start = microtime(true);
        $e = $this->thrown(TransportException::class, fn () => $this->client(['timeout' => 1, 'max_attempts' => 1])->provision('admin', $site, 'premium'));
        $this->assertContains($e->getErrorCode(), ['timeout', 'outcome_unknown']);
        $this->assertLessThan(5, microtime(true) - $start);
    }

    public function testEveryExceptionIsAJetpackPartnerException(): void
    {
        foreach ([ApiException::class, TransportException::class, InvalidArgumentException::class] as $class) {
            $this->assertTrue(is_subclass_of($class, Exception::class));
        }
    }
}
