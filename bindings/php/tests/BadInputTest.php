<?php

declare(strict_types=1);

namespace JetpackPartner\Tests;

use JetpackPartner\Client;
use JetpackPartner\Exception;
use JetpackPartner\InvalidArgumentException;
use PHPUnit\Framework\TestCase;

/**
 * Bad input through the PHP entry points (FFI backend): each value is refused before any
 * request with InvalidArgumentException, code invalid_argument, a message that starts with the
 * field and does not repeat the value, and the sandbox sees no request at all (not even a token
 * request). Wrong PHP types of the typed parameters are TypeErrors (this file, like any caller,
 * decides with strict_types). Internationalised host names are converted to Punycode.
 */
final class BadInputTest extends TestCase
{
    use UsesClient;

    private const SITE = 'https://bad-input.example.com';

    protected function backendOptions(): array
    {
        return ['backend' => 'ffi', 'library' => Env::lib()];
    }

    protected function expectedBackend(): string
    {
        return 'ffi';
    }

    private static function mib(string $prefix = ''): string
    {
        return $prefix . str_repeat('a', 1024 * 1024);
    }

    /**
     * Field named in the message, then the call made with a client of the sandbox.
     *
     * @return array<string, array{string, \Closure(Client): mixed}>
     */
    public static function badArguments(): array
    {
        $site = self::SITE;
        $mib = self::mib();
        $rows = [
            // Empty strings.
            'empty local_user'                   => ['local_user', fn (Client $c) => $c->provision('', $site)],
            'blank local_user'                   => ['local_user', fn (Client $c) => $c->provision('   ', $site)],
            'empty siteurl'                      => ['siteurl', fn (Client $c) => $c->provision('admin', '')],
            'empty plan'                         => ['plan', fn (Client $c) => $c->provision('admin', $site, '')],
            'empty wpcom_user_email'             => ['wpcom_user_email', fn (Client $c) => $c->provision('admin', $site, null, ['wpcom_user_email' => ''])],
            'empty partner_tracking_id'          => ['partner_tracking_id', fn (Client $c) => $c->provision('admin', $site, null, ['partner_tracking_id' => ''])],
            'empty ssh_user'                     => ['ssh_user', fn (Client $c) => $c->provision('admin', $site, null, ['ssh_user' => ''])],
            'empty status site'                  => ['site', fn (Client $c) => $c->status('')],
            'empty cancel site'                  => ['site', fn (Client $c) => $c->cancel('')],
            'empty cancel plan'                  => ['plan', fn (Client $c) => $c->cancel($site, ['plan' => ''])],
            'empty key name'                     => ['name', fn (Client $c) => $c->partnerKeyNew('')],
            'blank key name'                     => ['name', fn (Client $c) => $c->partnerKeyNew("  \t ")],
            'empty notes'                        => ['notes', fn (Client $c) => $c->partnerKeyNew('k', ['notes' => ''])],
            'empty count'                        => ['allowed_premium_plans', fn (Client $c) => $c->partnerKeyNew('k', ['allowed_premium_plans' => ''])],
            // 1 MiB strings.
            '1 MiB local_user'                   => ['local_user', fn (Client $c) => $c->provision($mib, $site)],
            '1 MiB siteurl path'                 => ['siteurl', fn (Client $c) => $c->provision('admin', "https://example.com/$mib")],
            '1 MiB siteurl host'                 => ['siteurl', fn (Client $c) => $c->provision('admin', "https://$mib.com/")],
            '1 MiB plan'                         => ['plan', fn (Client $c) => $c->provision('admin', $site, $mib)],
            '1 MiB wpcom_user_email'             => ['wpcom_user_email', fn (Client $c) => $c->provision('admin', $site, null, ['wpcom_user_email' => $mib])],
            '1 MiB partner_tracking_id'          => ['partner_tracking_id', fn (Client $c) => $c->provision('admin', $site, null, ['partner_tracking_id' => $mib])],
            '1 MiB ssh_pass'                     => ['ssh_pass', fn (Client $c) => $c->provision('admin', $site, null, ['ssh_user' => 'u', 'ssh_pass' => $mib, 'ssh_host' => 'h'])],
            '1 MiB ssh_private_key'              => ['ssh_private_key', fn (Client $c) => $c->provision('admin', $site, null, ['ssh_private_key' => $mib])],
            '1 MiB status site'                  => ['site', fn (Client $c) => $c->status($mib)],
            '1 MiB cancel site'                  => ['site', fn (Client $c) => $c->cancel("https://example.com/$mib")],
            '1 MiB key name'                     => ['name', fn (Client $c) => $c->partnerKeyNew($mib)],
            '1 MiB notes'                        => ['notes', fn (Client $c) => $c->partnerKeyNew('k', ['notes' => $mib])],
            // CR/LF (header or form injection) and NUL bytes.
            'CR/LF in local_user'                => ['local_user', fn (Client $c) => $c->provision("admin\r\nX-Injected: 1", $site)],
            'CR/LF in siteurl'                   => ['siteurl', fn (Client $c) => $c->provision('admin', "https://example.com/\r\nX-Injected: 1")],
            'LF in siteurl host'                 => ['siteurl', fn (Client $c) => $c->provision('admin', "https://exam\nple.com")],
            'CR/LF in plan'                      => ['plan', fn (Client $c) => $c->provision('admin', $site, "premium\r\n")],
            'CR/LF in partner_tracking_id'       => ['partner_tracking_id', fn (Client $c) => $c->provision('admin', $site, null, ['partner_tracking_id' => "a\r\nb"])],
            'LF in ssh_user'                     => ['ssh_user', fn (Client $c) => $c->provision('admin', $site, null, ['ssh_user' => "u\nv"])],
            'CR/LF in status site'               => ['site', fn (Client $c) => $c->status("example.com\r\n")],
            'CR/LF in cancel site'               => ['site', fn (Client $c) => $c->cancel("https://example.com/\r\nx")],
            'LF in key name'                     => ['name', fn (Client $c) => $c->partnerKeyNew("Reseller\nX-Injected: 1")],
            'NUL in local_user'                  => ['local_user', fn (Client $c) => $c->provision("ad\0min", $site)],
            'NUL in siteurl'                     => ['siteurl', fn (Client $c) => $c->provision('admin', "https://example.com\0.evil.com")],
            'NUL in plan'                        => ['plan', fn (Client $c) => $c->provision('admin', $site, "premium\0")],
            'NUL in ssh_host'                    => ['ssh_host', fn (Client $c) => $c->provision('admin', $site, null, ['ssh_host' => "h\0x"])],
            'NUL in status site'                 => ['site', fn (Client $c) => $c->status("example.com\0evil")],
            'NUL in cancel site'                 => ['site', fn (Client $c) => $c->cancel("example.com\0")],
            'NUL in key name'                    => ['name', fn (Client $c) => $c->partnerKeyNew("k\0")],
            'NUL in notes'                       => ['notes', fn (Client $c) => $c->partnerKeyNew('k', ['notes' => "n\0"])],
            // Invalid UTF-8.
            'invalid UTF-8 in local_user'        => ['local_user', fn (Client $c) => $c->provision("adm\xFFin", $site)],
            'invalid UTF-8 in siteurl'           => ['siteurl', fn (Client $c) => $c->provision('admin', "https://ex\xC3ample.com")],
            'invalid UTF-8 in status site'       => ['site', fn (Client $c) => $c->status("ex\xFFample.com")],
            'invalid UTF-8 in key name'          => ['name', fn (Client $c) => $c->partnerKeyNew("k\xFE")],
            'invalid UTF-8 in notes'             => ['notes', fn (Client $c) => $c->partnerKeyNew('k', ['notes' => "a\xFF"])],
            'invalid UTF-8 in ssh_pass'          => ['ssh_pass', fn (Client $c) => $c->provision('admin', $site, null, ['ssh_user' => 'u', 'ssh_pass' => "p\xC3"])],
            // Site URLs.
            'siteurl with user-info'             => ['siteurl', fn (Client $c) => $c->provision('admin', 'https://user:pass@example.com/')],
            'siteurl with user only'             => ['siteurl', fn (Client $c) => $c->provision('admin', 'https://user@example.com')],
            'siteurl with a host after @'        => ['siteurl', fn (Client $c) => $c->provision('admin', 'https://example.com@evil.example/')],
            'siteurl with a fragment'            => ['siteurl', fn (Client $c) => $c->provision('admin', 'https://example.com/#top')],
            'siteurl with a bare fragment'       => ['siteurl', fn (Client $c) => $c->provision('admin', 'https://example.com#')],
            'siteurl javascript:'                => ['siteurl', fn (Client $c) => $c->provision('admin', 'javascript:alert(1)')],
            'siteurl javascript://'              => ['siteurl', fn (Client $c) => $c->provision('admin', 'javascript://example.com/%0Aalert(1)')],
            'siteurl ftp://'                     => ['siteurl', fn (Client $c) => $c->provision('admin', 'ftp://example.com/')],
            'siteurl with another scheme'        => ['siteurl', fn (Client $c) => $c->provision('admin', 'mailto:admin@example.com')],
            'siteurl scheme-relative'            => ['siteurl', fn (Client $c) => $c->provision('admin', '//example.com/')],
            'siteurl without host'               => ['siteurl', fn (Client $c) => $c->provision('admin', 'https://')],
            'siteurl with an empty host'         => ['siteurl', fn (Client $c) => $c->provision('admin', 'https:///path')],
            'siteurl with a port and no host'    => ['siteurl', fn (Client $c) => $c->provision('admin', 'https://:443/')],
            'siteurl with a bad port'            => ['siteurl', fn (Client $c) => $c->provision('admin', 'https://example.com:99999/')],
            'siteurl with a space in the host'   => ['siteurl', fn (Client $c) => $c->provision('admin', 'https://exa mple.com')],
            'siteurl with a disallowed IDN char' => ['siteurl', fn (Client $c) => $c->provision('admin', "https://exa\u{FFFD}mple.com")],
            'status site with user-info'         => ['site', fn (Client $c) => $c->status('https://user:pass@example.com')],
            'status identifier with user-info'   => ['site', fn (Client $c) => $c->status('user@example.com::blog')],
            'status site with a fragment'        => ['site', fn (Client $c) => $c->status('https://example.com/#x')],
            'status site javascript:'            => ['site', fn (Client $c) => $c->status('javascript:alert(1)')],
            'status site without host'           => ['site', fn (Client $c) => $c->status('https://')],
            'status identifier without host'     => ['site', fn (Client $c) => $c->status('::blog')],
            'status site of digits as a host'    => ['site', fn (Client $c) => $c->status('https://12345/')],
            'status blog ID too long'            => ['site', fn (Client $c) => $c->status('123456789012345678901')],
            'cancel site with user-info'         => ['site', fn (Client $c) => $c->cancel('https://user@example.com')],
            'cancel site javascript:'            => ['site', fn (Client $c) => $c->cancel('javascript:alert(1)')],
            // Plan slugs.
            'plan in capitals'                   => ['plan', fn (Client $c) => $c->provision('admin', $site, 'Premium')],
            'plan with a space'                  => ['plan', fn (Client $c) => $c->provision('admin', $site, 'premium plan')],
            'plan with an underscore'            => ['plan', fn (Client $c) => $c->provision('admin', $site, 'jetpack_backup_daily')],
            'plan with a path'                   => ['plan', fn (Client $c) => $c->provision('admin', $site, '../premium')],
            'plan with a query'                  => ['plan', fn (Client $c) => $c->provision('admin', $site, 'premium&force_register=true')],
            'plan starting with -'               => ['plan', fn (Client $c) => $c->provision('admin', $site, '-premium')],
            'plan not ASCII'                     => ['plan', fn (Client $c) => $c->provision('admin', $site, "pr\u{E9}mium")],
            'plan of 65 bytes'                   => ['plan', fn (Client $c) => $c->provision('admin', $site, str_repeat('p', 65))],
            'cancel plan in capitals'            => ['plan', fn (Client $c) => $c->cancel($site, ['plan' => 'Jetpack-Backup-Daily'])],
            'cancel plan not a string'           => ['plan', fn (Client $c) => $c->cancel($site, ['plan' => 7])],
            // Counts and numbers in options.
            'negative count'                     => ['allowed_premium_plans', fn (Client $c) => $c->partnerKeyNew('k', ['allowed_premium_plans' => -1])],
            'negative count as text'             => ['allowed_premium_plans', fn (Client $c) => $c->partnerKeyNew('k', ['allowed_premium_plans' => '-1'])],
            'smallest integer as count'          => ['allowed_personal_plans', fn (Client $c) => $c->partnerKeyNew('k', ['allowed_personal_plans' => PHP_INT_MIN])],
            'count as words'                     => ['allowed_professional_plans', fn (Client $c) => $c->partnerKeyNew('k', ['allowed_professional_plans' => 'ten'])],
            'count as decimal text'              => ['allowed_premium_plans', fn (Client $c) => $c->partnerKeyNew('k', ['allowed_premium_plans' => '1.5'])],
            'count as hexadecimal text'          => ['allowed_premium_plans', fn (Client $c) => $c->partnerKeyNew('k', ['allowed_premium_plans' => '0x10'])],
            'count as exponent text'             => ['allowed_premium_plans', fn (Client $c) => $c->partnerKeyNew('k', ['allowed_premium_plans' => '1e3'])],
            'count with a space'                 => ['allowed_premium_plans', fn (Client $c) => $c->partnerKeyNew('k', ['allowed_premium_plans' => ' 5'])],
            'count of 20 digits'                 => ['allowed_premium_plans', fn (Client $c) => $c->partnerKeyNew('k', ['allowed_premium_plans' => '99999999999999999999'])],
            'count as a boolean'                 => ['allowed_personal_plans', fn (Client $c) => $c->partnerKeyNew('k', ['allowed_personal_plans' => true])],
            'count as a float'                   => ['allowed_premium_plans', fn (Client $c) => $c->partnerKeyNew('k', ['allowed_premium_plans' => 1.5])],
            'count as an array'                  => ['allowed_premium_plans', fn (Client $c) => $c->partnerKeyNew('k', ['allowed_premium_plans' => [5]])],
            'negative wpcom_user_id'             => ['wpcom_user_id', fn (Client $c) => $c->provision('admin', $site, null, ['wpcom_user_id' => -5])],
            'wpcom_user_id as words'             => ['wpcom_user_id', fn (Client $c) => $c->provision('admin', $site, null, ['wpcom_user_id' => 'me'])],
            'port 0'                             => ['ssh_port', fn (Client $c) => $c->provision('admin', $site, null, ['ssh_port' => 0])],
            'port 65536'                         => ['ssh_port', fn (Client $c) => $c->provision('admin', $site, null, ['ssh_port' => 65536])],
            'negative port'                      => ['ftp_port', fn (Client $c) => $c->provision('admin', $site, null, ['ftp_port' => -21])],
            'port as text'                       => ['ftp_port', fn (Client $c) => $c->provision('admin', $site, null, ['ftp_port' => 'ftp'])],
            // Option values of the wrong type, and option names.
            'boolean option as words'            => ['force_register', fn (Client $c) => $c->provision('admin', $site, null, ['force_register' => 'perhaps'])],
            'boolean option as 2'                => ['onboarding', fn (Client $c) => $c->provision('admin', $site, null, ['onboarding' => 2])],
            'cancel_all as an array'             => ['cancel_all', fn (Client $c) => $c->cancel($site, ['cancel_all' => [true]])],
            'text option as a boolean'           => ['ssh_user', fn (Client $c) => $c->provision('admin', $site, null, ['ssh_user' => true])],
            'text option as an object'           => ['notes', fn (Client $c) => $c->partnerKeyNew('k', ['notes' => new \stdClass()])],
            'text option as a float'             => ['partner_tracking_id', fn (Client $c) => $c->provision('admin', $site, null, ['partner_tracking_id' => 1.0])],
            'unknown provision option'           => ['no_such_option', fn (Client $c) => $c->provision('admin', $site, null, ['no_such_option' => 1])],
            'cancel option of another call'      => ['notes', fn (Client $c) => $c->cancel($site, ['notes' => 'x'])],
            'option list instead of names'       => ['0', fn (Client $c) => $c->partnerKeyNew('k', ['allowed_premium_plans'])],
        ];
        $out = [];
        foreach ($rows as $name => [$field, $call]) {
            $out[$name] = [$field, $call];
        }
        return $out;
    }

    /**
     * @dataProvider badArguments
     * @param \Closure(Client): mixed $call
     */
    public function testBadArgumentIsRefusedBeforeAnyRequest(string $field, \Closure $call): void
    {
        $client = $this->client();
        Sandbox::control('POST', 'stats/reset');
        $e = $this->thrown(InvalidArgumentException::class, fn () => $call($client));
        $this->assertSame('invalid_argument', $e->getErrorCode());
        $this->assertStringStartsWith($field . ': ', $e->getMessage());
        $this->assertNull($e->getHttpStatus());
        $this->assertSame(0, $e->getAttempts());
        // Short, and never the value itself (1 MiB, or a password).
        $this->assertLessThan(600, strlen($e->getMessage()), $e->getMessage());
        $this->assertStringNotContainsString('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', $e->getMessage());
        $this->assertStringNotContainsString("\r\n", $e->getMessage());
        $this->assertStringNotContainsString("\0", $e->getMessage());
        $stats = Sandbox::stats();
        $this->assertSame(0, $stats['total'] ?? null, 'the sandbox saw a request: ' . json_encode($stats));
    }

    /**
     * Wrong PHP types of the typed parameters: TypeError, before anything reaches the library.
     *
     * @return array<string, array{\Closure(Client): mixed}>
     */
    public static function wrongTypes(): array
    {
        $site = self::SITE;
        return [
            'local_user as an integer'  => [fn (Client $c) => $c->provision(123, $site)],
            'local_user as null'        => [fn (Client $c) => $c->provision(null, $site)],
            'siteurl as an array'       => [fn (Client $c) => $c->provision('admin', [$site])],
            'siteurl as an object'      => [fn (Client $c) => $c->provision('admin', new \ArrayObject([$site]))],
            'plan as an integer'        => [fn (Client $c) => $c->provision('admin', $site, 42)],
            'plan as a boolean'         => [fn (Client $c) => $c->provision('admin', $site, true)],
            'options as a string'       => [fn (Client $c) => $c->provision('admin', $site, null, 'force_register=1')],
            'status site as null'       => [fn (Client $c) => $c->status(null)],
            'status site as an integer' => [fn (Client $c) => $c->status(12345)],
            'cancel site as a float'    => [fn (Client $c) => $c->cancel(1.5)],
            'cancel options as null'    => [fn (Client $c) => $c->cancel($site, null)],
            'key name as an array'      => [fn (Client $c) => $c->partnerKeyNew(['Reseller'])],
            'key options as an integer' => [fn (Client $c) => $c->partnerKeyNew('k', 5)],
        ];
    }

    /**
     * @dataProvider wrongTypes
     * @param \Closure(Client): mixed $call
     */
    public function testWrongPhpTypeIsATypeError(\Closure $call): void
    {
        $client = $this->client();
        Sandbox::control('POST', 'stats/reset');
        try {
            $call($client);
            $this->fail('expected a TypeError');
        } catch (\TypeError $e) {
            $this->assertStringContainsString('JetpackPartner\\Client::', $e->getMessage());
        }
        $this->assertSame(0, Sandbox::stats()['total'] ?? null);
    }

    /**
     * Bad client options: refused by the constructor, before any request.
     *
     * @return array<string, array{string, array<string, mixed>}>
     */
    public static function badClientOptions(): array
    {
        return [
            'timeout as text'             => ['timeout', ['timeout' => '10']],
            'negative timeout'            => ['timeout', ['timeout' => -1]],
            'timeout not finite'          => ['timeout', ['timeout' => INF]],
            'connect_timeout zero'        => ['connect_timeout', ['connect_timeout' => 0]],
            'max_attempts zero'           => ['max_attempts', ['max_attempts' => 0]],
            'max_attempts as a float'     => ['max_attempts', ['max_attempts' => 1.5]],
            'max_attempts as text'        => ['max_attempts', ['max_attempts' => '3']],
            'max_response_bytes negative' => ['max_response_bytes', ['max_response_bytes' => -1]],
            'empty api_base'              => ['api_base', ['api_base' => '']],
            'api_base as an integer'      => ['api_base', ['api_base' => 443]],
            'api_base javascript:'        => ['api_base', ['api_base' => 'javascript:alert(1)']],
            'api_base with a fragment'    => ['api_base', ['api_base' => 'https://public-api.wordpress.com/#x']],
            'api_base with CR/LF'         => ['api_base', ['api_base' => "https://public-api.wordpress.com/\r\nX: 1"]],
            'api_base with NUL'           => ['api_base', ['api_base' => "https://public-api.wordpress.com\0"]],
            'api_base of 1 MiB'           => ['api_base', ['api_base' => self::mib('https://')]],
            'api_base plain http remote'  => ['api_base', ['api_base' => 'http://public-api.wordpress.com']],
            'proxy with CR/LF'            => ['proxy', ['proxy' => "http://127.0.0.1:3128\r\n"]],
            'proxy without host'          => ['proxy', ['proxy' => 'http://']],
            'empty proxy'                 => ['proxy', ['proxy' => '']],
            'empty ca_bundle'             => ['ca_bundle', ['ca_bundle' => '']],
            'unknown option'              => ['colour', ['colour' => 'blue']],
            'backend unknown'             => ['backend', ['backend' => 'curl']],
        ];
    }

    /**
     * @dataProvider badClientOptions
     * @param array<string, mixed> $options
     */
    public function testBadClientOptionIsRefused(string $field, array $options): void
    {
        Sandbox::control('POST', 'stats/reset');
        $e = $this->thrown(InvalidArgumentException::class, function () use ($options) {
            $this->client($options)->status('example.com');
        });
        $this->assertSame('invalid_argument', $e->getErrorCode());
        $this->assertStringStartsWith($field . ': ', $e->getMessage());
        $this->assertLessThan(600, strlen($e->getMessage()), $e->getMessage());
        $this->assertSame(0, Sandbox::stats()['total'] ?? null);
    }

    /** Bad partner credentials: refused before any request, the secret never shown. */
    public function testBadCredentialsAreRefused(): void
    {
        Sandbox::control('POST', 'stats/reset');
        foreach ([
            ['partner_id', '', Sandbox::PARTNER_SECRET],
            ['partner_id', "123\r\n45", Sandbox::PARTNER_SECRET],
            ['partner_id', "123\0", Sandbox::PARTNER_SECRET],
            ['partner_secret', Sandbox::PARTNER_ID, ''],
            ['partner_secret', Sandbox::PARTNER_ID, "secret-with-nul\0-inside"],
            ['partner_secret', Sandbox::PARTNER_ID, "secret-with-newline\r\n-inside"],
        ] as [$field, $id, $secret]) {
            $e = $this->thrown(InvalidArgumentException::class, function () use ($id, $secret) {
                $this->client([], $id, $secret)->status('example.com');
            });
            $this->assertSame('invalid_argument', $e->getErrorCode());
            $this->assertStringStartsWith($field . ': ', $e->getMessage(), json_encode($id));
            if ($secret !== '') {
                $this->assertStringNotContainsString($secret, (string) $e);
                $this->assertStringNotContainsString('-inside', $e->getMessage());
            }
        }
        $this->assertSame(0, Sandbox::stats()['total'] ?? null);
    }

    /**
     * Internationalised host names: converted to Punycode (lower case) before they reach the
     * sandbox, in provision (the sandbox's next_url carries the siteurl it received) and in status.
     *
     * @return array<string, array{string, string}>
     */
    public static function idnSites(): array
    {
        return [
            'German'                  => ['https://bücher.example/shop', 'https://xn--bcher-kva.example/shop'],
            'German, capitals'        => ['https://BÜCHER.Example/', 'https://xn--bcher-kva.example/'],
            'Japanese, ideographic stop' => ["https://例え\u{3002}テスト/", 'https://xn--r8jz45g.xn--zckzah/'],
            'Russian, with a port'    => ['https://пример.испытание:8443/blog', 'https://xn--e1afmkfd.xn--80akhbyknj4f:8443/blog'],
            'mixed labels'            => ['https://www.münchen.example/', 'https://www.xn--mnchen-3ya.example/'],
        ];
    }

    /** @dataProvider idnSites */
    public function testInternationalisedDomainNamesReachTheSandboxAsPunycode(string $unicode, string $ascii): void
    {
        // Unique per run: a random first label in front of the host.
        $prefix = 'idn' . bin2hex(random_bytes(3)) . '.';
        $unicode = preg_replace('~^https://~', 'https://' . $prefix, $unicode);
        $ascii = preg_replace('~^https://~', 'https://' . $prefix, $ascii);
        $client = $this->client();
        $client->provision('admin', Sandbox::uniqueSite('idn-warm-up')); // the token, before counting
        Sandbox::control('POST', 'stats/reset');
        $reply = $client->provision('admin', $unicode, 'premium');
        $this->assertTrue($reply['success']);
        parse_str((string) parse_url($reply['next_url'], PHP_URL_QUERY), $query);
        // (The sandbox drops a trailing slash from the siteurl it stores.)
        $this->assertSame(rtrim($ascii, '/'), rtrim((string) ($query['siteurl'] ?? ''), '/'), $reply['next_url']);
        $this->assertSame(1, Sandbox::stats()['requests']['provision'] ?? null);
        // The site exists under its Punycode name: status by either spelling finds it.
        $this->assertSame(
            $client->status($ascii)['blog'] ?? null,
            $client->status($unicode)['blog'] ?? null
        );
        $this->assertSame(2, Sandbox::stats()['requests']['status'] ?? null);
    }
}
