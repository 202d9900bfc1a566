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
 * The rest of the partner API (reporting, OAuth2 for users, the Licensing API, the
 * generic request, the remaining partner endpoints), against the sandbox. FfiApiTest
 * runs it in-process, CliApiTest through the command-line fallback.
 */
abstract class ApiTestCase extends TestCase
{
    use UsesClient;

    private const REDIRECT = 'http://127.0.0.1:9/callback';

    /** @var array{client: Client, key_id: string, sites: list<string>}|null a key with 45 activations, made once per class */
    private static ?array $paged = null;

    public static function tearDownAfterClass(): void
    {
        self::$paged = null;
    }


    /** The server's error body (WP REST style: code, message, data) came with the exception. */
    protected function assertErrorBodyCode(string $code, Exception $e): void
    {
        $body = $e->getErrorBody();
        $this->assertSame($code, $body['code'] ?? null, json_encode($body));
        $this->assertSame($e->getHttpStatus(), $body['data']['status'] ?? null);
    }

    /** A new partner key of the demo partner and a client with its credentials. */
    private function newKey(string $label): array
    {
        $key = $this->client()->partnerKeyNew($label . ' ' . bin2hex(random_bytes(3)));
        return [(string) $key['id'], $this->client([], (string) $key['client_id'], (string) $key['client_secret'])];
    }

    /** A connected site with a license-free activation of the demo partner. */
    private function connectedSite(string $label): string
    {
        $site = Sandbox::uniqueSite($label);
        Sandbox::connectSite($site);
        return $site;
    }

    // -- the generic request -----------------------------------------------------------

    public function testRequestWithAUserToken(): void
    {
        $me = $this->client()->request('GET', '/rest/v1/me', [], null, null, Sandbox::userToken());
        $this->assertSame('partner-' . Sandbox::PARTNER_ID, $me['username']);
    }

    public function testRequestWithThePartnerTokenAndAQuery(): void
    {
        $errors = $this->client()->request('GET', '/rest/v1.3/jpphp/errors', ['verbose' => 1]);
        $this->assertIsArray($errors['errors']['invalid_plan'] ?? null, json_encode($errors));
        $this->assertSame(400, $errors['errors']['invalid_plan']['http_status']);
    }

    public function testRequestWithoutAToken(): void
    {
        $client = $this->client();
        $errors = $client->request('GET', '/rest/v1.3/jpphp/errors', ['verbose' => 1], null, null, null, 'none');
        $this->assertSame(400, $errors['errors']['invalid_plan']['http_status']);
        $e = $this->thrown(ApiException::class, fn () => $client->request('GET', '/rest/v1.4/jpphp/example.com/status', [], null, null, null, 'none'));
        $this->assertSame('authorization_required', $e->getErrorCode());
        $this->assertSame(403, $e->getHttpStatus());
        $this->thrown(InvalidArgumentException::class, fn () => $client->request('GET', '/rest/v1/me', [], null, null, null, 'somebody'));
    }

    public function testRequestWithAFormBody(): void
    {
        $site = Sandbox::uniqueSite('request-form');
        $client = $this->client();
        $reply = $client->request('POST', '/rest/v1.3/jpphp/provision', [], [
            'local_user' => 'admin',
            'siteurl' => $site,
            'plan' => 'jetpack-scan',
        ]);
        $this->assertTrue($reply['success']);
        $this->assertContains('jetpack-scan', array_column($client->status($site)['products'], 'slug'));
    }

    public function testRequestWithAJsonBody(): void
    {
        $license = $this->client()->request('POST', '/wpcom/v2/jetpack-licensing/license', [], null, ['product' => 'jetpack-scan']);
        $this->assertSame('jetpack-scan', $license['product']);
        $this->assertIsString($license['license_key']);
    }

    public function testRequestSendsListsAsArrays(): void
    {
        $client = $this->client();
        $token = Sandbox::userToken();
        $path = '/wpcom/v2/jetpack-partners/' . Sandbox::PARTNER_ID . '/key/' . Sandbox::KEY_ID . '/activations';
        $all = $client->request('GET', $path, ['per_page' => 1], null, null, $token);
        $one = $client->request('GET', $path, ['per_page' => 1, 'plans' => ['jetpack-complete']], null, null, $token);
        $two = $client->request('GET', $path, ['per_page' => 1, 'plans' => ['jetpack-complete', 'jetpack-anti-spam']], null, null, $token);
        $this->assertSame(0, $one['total'], 'a list of one item is still a filter');
        $this->assertLessThanOrEqual($all['total'], $two['total']);
        $e = $this->thrown(ApiException::class, fn () => $client->request('GET', $path, ['plans' => ['Not A Slug']], null, null, $token));
        $this->assertSame('rest_invalid_param', $e->getErrorCode());
    }

    public function testRequestReturnsAJsonList(): void
    {
        $families = $this->client()->request('GET', '/wpcom/v2/jetpack-licensing/product-families');
        $this->assertTrue(array_is_list($families));
        $this->assertContains('jetpack-plans', array_column($families, 'slug'));
    }

    public function testRequestRefusalIsAnApiException(): void
    {
        $client = $this->client();
        $e = $this->thrown(ApiException::class, fn () => $client->request('GET', '/rest/v1.4/jpphp/' . substr(Sandbox::uniqueSite('request-unknown'), 8) . '/status'));
        $this->assertSame('unknown_blog', $e->getErrorCode());
        $this->assertSame(404, $e->getHttpStatus());
        // A user token on a partner endpoint.
        $e = $this->thrown(ApiException::class, fn () => $client->request('GET', '/rest/v1.3/jpphp/partner-keys/verify', [], null, null, Sandbox::userToken()));
        $this->assertSame(403, $e->getHttpStatus());
        $this->assertSame('invalid_scope', $e->getErrorCode());
    }

    public function testRequestWithAFormAndAJsonBodyIsInvalid(): void
    {
        $e = $this->thrown(InvalidArgumentException::class, fn () => $this->client()->request('POST', '/rest/v1/me', [], ['a' => 'b'], ['c' => 'd']));
        $this->assertStringStartsWith('form: ', $e->getMessage());
    }

    // -- the remaining partner endpoints -------------------------------------------------

    public function testStatusV12(): void
    {
        $site = $this->connectedSite('v12');
        $client = $this->client();
        $client->provision('admin', $site, 'premium');
        $status = $client->statusV12($site);
        $this->assertSame('premium', $status['plan']);
        $this->assertTrue($status['is_connected']);
        $this->assertTrue($status['is_provisioned_by_calling_partner']);
        $this->assertFalse($status['has_pending_plan']);
        $e = $this->thrown(ApiException::class, fn () => $client->statusV12(Sandbox::uniqueSite('v12-unknown')));
        $this->assertSame('unknown_blog', $e->getErrorCode());
    }

    public function testUpgradePaths(): void
    {
        $site = $this->connectedSite('upgrade');
        $client = $this->client();
        $client->provision('admin', $site, 'personal');
        $paths = $client->upgradePaths($site);
        foreach (['plans', 'backup', 'scan', 'anti-spam'] as $family) {
            $this->assertArrayHasKey($family, $paths, json_encode($paths));
        }
        $this->assertContains('premium', $paths['plans']);
        $this->assertNotContains('personal', $paths['plans']);
    }

    public function testErrors(): void
    {
        $client = $this->client();
        $plain = $client->errors();
        $this->assertIsString($plain['errors']['invalid_plan'] ?? null, json_encode($plain));
        $verbose = $client->errors(true);
        $this->assertSame(400, $verbose['errors']['invalid_plan']['http_status'] ?? null, json_encode($verbose));
        $this->assertIsString($verbose['errors']['invalid_plan']['message']);
    }

    public function testPartnerKeysVerify(): void
    {
        $reply = $this->client()->partnerKeysVerify();
        $this->assertTrue($reply['success']);
        $this->assertSame(Sandbox::PARTNER_ID, (string) $reply['client_id']);
        [$keyId, $keyClient] = $this->newKey('Verify');
        $reply = $keyClient->partnerKeysVerify();
        $this->assertSame($keyId, (string) $reply['id']);
    }

    // -- reporting -----------------------------------------------------------------------

    /** @return array{client: Client, key_id: string, sites: list<string>} */
    private function pagedKey(): array
    {
        if (self::$paged === null) {
            [$keyId, $keyClient] = $this->newKey('Paged');
            $sites = [];
            for ($i = 0; $i < 45; $i++) {
                $site = Sandbox::uniqueSite('paged');
                $keyClient->provision('admin', $site, 'jetpack-scan', ['partner_tracking_id' => "paged-$i"]);
                $sites[] = $site;
            }
            self::$paged = ['client' => $keyClient, 'key_id' => $keyId, 'sites' => $sites];
        }
        return self::$paged;
    }

    public function testActivationsOnePage(): void
    {
        $paged = $this->pagedKey();
        $page = $this->client()->activations(Sandbox::userToken(), (int) Sandbox::PARTNER_ID, $paged['key_id'], ['page' => 2, 'per_page' => 20]);
        $this->assertSame(45, $page['total']);
        $this->assertSame(2, $page['page']);
        $this->assertCount(20, $page['activations']);
        $first = $page['activations'][0];
        $this->assertSame('jetpack-scan', $first['product_slug']);
        $this->assertTrue($first['is_pending']);
        $this->assertNull($first['activated_on']);
    }

    public function testActivationFilters(): void
    {
        [$keyId, $keyClient] = $this->newKey('Filters');
        $keyClient->provision('admin', $this->connectedSite('filters'), 'jetpack-scan');
        $keyClient->provision('admin', $this->connectedSite('filters'), 'jetpack-anti-spam');
        $keyClient->provision('admin', Sandbox::uniqueSite('filters-pending'), 'jetpack-anti-spam');
        $client = $this->client();
        $token = Sandbox::userToken();
        $all = $client->activations($token, Sandbox::PARTNER_ID, $keyId);
        $this->assertSame(3, $all['total']);
        $scan = $client->activations($token, Sandbox::PARTNER_ID, $keyId, ['plans' => 'jetpack-scan']);
        $this->assertSame(['jetpack-scan'], array_column($scan['activations'], 'product_slug'));
        $both = $client->activations($token, Sandbox::PARTNER_ID, $keyId, ['plans' => ['jetpack-scan', 'jetpack-anti-spam']]);
        $this->assertSame(3, $both['total']);
        // Pending activations never match a date filter.
        $dated = $client->activations($token, Sandbox::PARTNER_ID, $keyId, [
            'activated_after' => new \DateTimeImmutable('-1 day'),
            'activated_before' => time() + 86400,
        ]);
        $this->assertSame(2, $dated['total'], json_encode($dated));
        $later = $client->activations($token, Sandbox::PARTNER_ID, $keyId, ['activated_after' => '2100-01-01']);
        $this->assertSame(0, $later['total']);
        $e = $this->thrown(ApiException::class, fn () => $client->activations($token, Sandbox::PARTNER_ID, $keyId, ['per_page' => 500]));
        $this->assertSame('rest_invalid_param', $e->getErrorCode());
        $this->assertSame(400, $e->getHttpStatus());
    }

    public function testAllActivationsWalksEveryPage(): void
    {
        $paged = $this->pagedKey();
        $client = $this->client();
        $token = Sandbox::userToken();
        Sandbox::control('POST', 'stats/reset');
        $generator = $client->allActivations($token, Sandbox::PARTNER_ID, $paged['key_id'], ['per_page' => 20]);
        $this->assertInstanceOf(\Generator::class, $generator);
        $this->assertSame(0, Sandbox::stats()['requests']['reporting'], 'nothing fetched before the loop starts');
        $activations = iterator_to_array($generator);
        $this->assertCount(45, $activations);
        $this->assertSame(range(0, 44), array_keys($activations));
        $this->assertCount(45, array_unique(array_column($activations, 'id')));
        $this->assertEqualsCanonicalizing(
            array_map(fn ($i) => "paged-$i", range(0, 44)),
            array_column($activations, 'partner_tracking_id')
        );
        $this->assertSame(3, Sandbox::stats()['requests']['reporting'], 'three pages of 20');
        // A filter and a first page.
        $fromPage2 = iterator_to_array($client->allActivations($token, Sandbox::PARTNER_ID, $paged['key_id'], ['per_page' => 20, 'page' => 2]));
        $this->assertCount(25, $fromPage2);
        $none = iterator_to_array($client->allActivations($token, Sandbox::PARTNER_ID, $paged['key_id'], ['plans' => ['jetpack-complete']]));
        $this->assertSame([], $none);
    }

    public function testAllActivationsThrowsTheErrorOfALaterPage(): void
    {
        $paged = $this->pagedKey();
        $generator = $this->client(['max_attempts' => 1])->allActivations(Sandbox::userToken(), Sandbox::PARTNER_ID, $paged['key_id'], ['per_page' => 20]);
        $seen = 0;
        $e = $this->thrown(ApiException::class, function () use ($generator, &$seen) {
            foreach ($generator as $activation) {
                if (++$seen === 1) {
                    Sandbox::fault(['endpoint' => 'reporting', 'kind' => 'status', 'status' => 500, 'count' => 0]);
                }
            }
        });
        $this->assertSame(20, $seen);
        $this->assertSame('sandbox_fault', $e->getErrorCode());
        $this->assertSame(500, $e->getHttpStatus());
    }

    public function testUnknownReportingOptionsAreInvalid(): void
    {
        $client = $this->client();
        $e = $this->thrown(InvalidArgumentException::class, fn () => $client->activations(Sandbox::userToken(), Sandbox::PARTNER_ID, Sandbox::KEY_ID, ['colour' => 'blue']));
        $this->assertStringStartsWith('colour', $e->getMessage());
        $e = $this->thrown(InvalidArgumentException::class, fn () => $client->activationsSummary(Sandbox::userToken(), ['per_page' => 5]));
        $this->assertStringStartsWith('per_page', $e->getMessage());
    }

    public function testAllActivationsChecksItsArgumentsAtOnce(): void
    {
        $client = $this->client();
        $e = $this->thrown(InvalidArgumentException::class, fn () => $client->allActivations('', Sandbox::PARTNER_ID, 1));
        $this->assertStringStartsWith('user_token: ', $e->getMessage());
        $e = $this->thrown(InvalidArgumentException::class, fn () => $client->allActivations('t', Sandbox::PARTNER_ID, 1, ['page' => 0]));
        $this->assertStringStartsWith('page: ', $e->getMessage());
        $e = $this->thrown(InvalidArgumentException::class, fn () => $client->allActivations('t', 1.5, 1));
        $this->assertStringStartsWith('partner_id: ', $e->getMessage());
    }

    public function testReportingOfAnotherPartnerIsForbidden(): void
    {
        $e = $this->thrown(ApiException::class, fn () => $this->client()->activations(Sandbox::userToken(), Sandbox::OTHER_PARTNER_ID, 2));
        $this->assertSame('rest_forbidden', $e->getErrorCode());
        $this->assertSame(403, $e->getHttpStatus());
        $this->assertErrorBodyCode('rest_forbidden', $e);
    }

    public function testReportingRefusesAPartnerToken(): void
    {
        $partnerToken = json_decode(Sandbox::http('POST', '/oauth2/token', http_build_query([
            'grant_type' => 'client_credentials', 'client_id' => Sandbox::PARTNER_ID,
            'client_secret' => Sandbox::PARTNER_SECRET, 'scope' => 'jetpack-partner',
        ]))['body'], true)['access_token'];
        $e = $this->thrown(ApiException::class, fn () => $this->client()->partnerDetails($partnerToken));
        $this->assertSame('invalid_scope', $e->getErrorCode());
        $this->assertStringNotContainsString($partnerToken, $e->getMessage());
    }

    public function testActivationsSummary(): void
    {
        [$keyId, $keyClient] = $this->newKey('Summary');
        $keyClient->provision('admin', $this->connectedSite('summary'), 'jetpack-scan');
        $keyClient->provision('admin', $this->connectedSite('summary'), 'jetpack-scan');
        $client = $this->client();
        $days = $client->activationsSummary(Sandbox::userToken(), ['key_id' => (int) $keyId, 'scale' => 'day']);
        $this->assertTrue(array_is_list($days));
        $last = end($days);
        $this->assertSame(gmdate('Y-m-d'), substr((string) $last['date'], 0, 10), json_encode($days));
        $this->assertSame(2, $last['new']);
        $this->assertSame(2, $last['total']);
        $months = $client->activationsSummary(Sandbox::userToken());
        $this->assertGreaterThanOrEqual(2, end($months)['total']);
        $e = $this->thrown(InvalidArgumentException::class, fn () => $client->activationsSummary(Sandbox::userToken(), ['scale' => 'week']));
        $this->assertStringContainsString('scale', $e->getMessage());
    }

    public function testInvoices(): void
    {
        [$keyId, $keyClient] = $this->newKey('Invoices');
        $keyClient->provision('admin', $this->connectedSite('invoice'), 'jetpack-scan');
        $keyClient->provision('admin', $this->connectedSite('invoice'), 'jetpack-scan');
        $client = $this->client();
        $upcoming = $client->upcomingInvoice(Sandbox::userToken(), Sandbox::PARTNER_ID, $keyId);
        $this->assertSame('upcoming', $upcoming['status']);
        $this->assertSame([['jetpack-scan', 2, 1400]], array_map(fn ($l) => [$l['product_slug'], $l['quantity'], $l['amount']], $upcoming['lines']));
        $this->assertSame(1400, $upcoming['total']);
        $past = $client->invoices(Sandbox::userToken(), Sandbox::PARTNER_ID, $keyId);
        $this->assertSame([], $past['invoices'], 'nothing billed in past months');
        $e = $this->thrown(ApiException::class, fn () => $client->invoices(Sandbox::userToken(), Sandbox::PARTNER_ID, 999999));
        $this->assertSame('invalid_key', $e->getErrorCode());
        $this->assertSame(404, $e->getHttpStatus());
    }

    public function testPartnerDetails(): void
    {
        $details = $this->client()->partnerDetails(Sandbox::userToken());
        $this->assertSame(Sandbox::PARTNER_ID, (string) $details['id']);
        $this->assertContains(Sandbox::KEY_ID, array_map('strval', array_column($details['keys'], 'id')));
    }

    public function testABadUserTokenStaysOutOfTheException(): void
    {
        $old = ini_set('zend.exception_ignore_args', '0');
        try {
            $token = 'not-a-token-' . bin2hex(random_bytes(8));
            $e = $this->thrown(ApiException::class, fn () => $this->client()->activations($token, Sandbox::PARTNER_ID, Sandbox::KEY_ID));
            $this->assertSame('invalid_token', $e->getErrorCode());
            $this->assertSame(403, $e->getHttpStatus());
            $this->assertStringNotContainsString($token, (string) $e);
            $frames = array_filter($e->getTrace(), fn ($f) => str_starts_with($f['class'] ?? '', 'JetpackPartner\\') && !str_starts_with($f['class'] ?? '', 'JetpackPartner\\Tests\\'));
            $this->assertNotEmpty($frames);
            $this->assertStringNotContainsString($token, print_r($frames, true));
        } finally {
            ini_set('zend.exception_ignore_args', (string) $old);
        }
    }

    // -- OAuth2 for users --------------------------------------------------------------

    /** The Location the sandbox's authorize page redirects to. */
    private static function follow(string $url): string
    {
        $reply = Sandbox::http('GET', $url);
        self::assertSame(302, $reply['status'], $reply['body']);
        return $reply['headers']['location'];
    }

    public function testAuthorizeCodeFlow(): void
    {
        $client = $this->client();
        $authorize = $client->authorizeUrl(['redirect_uri' => self::REDIRECT]);
        $this->assertSame(['url', 'state'], array_keys($authorize));
        $this->assertStringStartsWith(Sandbox::url() . '/oauth2/authorize?', $authorize['url']);
        $this->assertGreaterThanOrEqual(16, strlen($authorize['state']));
        parse_str((string) parse_url($authorize['url'], PHP_URL_QUERY), $query);
        $this->assertSame(Sandbox::PARTNER_ID, $query['client_id']);
        $this->assertSame(self::REDIRECT, $query['redirect_uri']);
        $this->assertSame('code', $query['response_type']);
        $this->assertSame($authorize['state'], $query['state']);

        $location = self::follow($authorize['url']);
        $this->assertStringStartsWith(self::REDIRECT . '?', $location);
        $grant = Client::parseRedirect($location, $authorize['state']);
        $this->assertSame(['code'], array_keys($grant));

        $token = $client->exchangeCode($grant['code'], self::REDIRECT);
        $this->assertSame('bearer', $token['token_type']);
        $info = $client->tokenInfo($token['access_token']);
        $this->assertSame(Sandbox::PARTNER_ID, (string) $info['client_id']);
        $this->assertNotSame('0', (string) $info['user_id']);
        $this->assertSame(Sandbox::PARTNER_ID, (string) $client->partnerDetails($token['access_token'])['id']);

        // Codes are single use.
        $e = $this->thrown(ApiException::class, fn () => $client->exchangeCode($grant['code'], self::REDIRECT));
        $this->assertStringContainsString('invalid_grant', $e->getErrorCode() . ' ' . $e->getMessage());
    }

    public function testAuthorizeImplicitFlow(): void
    {
        $client = $this->client();
        $site = $this->connectedSite('implicit');
        $authorize = $client->authorizeUrl([
            'redirect_uri' => self::REDIRECT,
            'response_type' => 'token',
            'scope' => 'global',
            'blog' => $site,
            'state' => 'state-chosen-by-the-caller',
        ]);
        $this->assertSame('state-chosen-by-the-caller', $authorize['state']);
        parse_str((string) parse_url($authorize['url'], PHP_URL_QUERY), $query);
        $this->assertSame('token', $query['response_type']);
        $this->assertSame('global', $query['scope']);
        $location = self::follow($authorize['url']);
        $this->assertStringContainsString('#access_token=', $location);
        $grant = $client->parseRedirect($location, 'state-chosen-by-the-caller');
        $this->assertSame(1209600, $grant['expires_in']);
        $this->assertSame('bearer', $grant['token_type']);
        $this->assertNotEmpty($grant['site_id']);
        $info = $client->tokenInfo($grant['access_token']);
        $this->assertSame((string) $grant['site_id'], (string) $info['blog_id']);
    }

    public function testEachAuthorizeUrlHasItsOwnState(): void
    {
        $client = $this->client();
        $a = $client->authorizeUrl(['redirect_uri' => self::REDIRECT]);
        $b = $client->authorizeUrl(['redirect_uri' => self::REDIRECT]);
        $this->assertNotSame($a['state'], $b['state']);
        $e = $this->thrown(InvalidArgumentException::class, fn () => $client->authorizeUrl(['response_type' => 'code']));
        $this->assertStringStartsWith('redirect_uri', $e->getMessage());
        $e = $this->thrown(InvalidArgumentException::class, fn () => $client->authorizeUrl(['redirect_uri' => self::REDIRECT, 'response_type' => 'password']));
        $this->assertStringStartsWith('response_type', $e->getMessage());
    }

    public function testStateMismatch(): void
    {
        $client = $this->client();
        $authorize = $client->authorizeUrl(['redirect_uri' => self::REDIRECT]);
        $location = self::follow($authorize['url']);
        $e = $this->thrown(InvalidArgumentException::class, fn () => Client::parseRedirect($location, 'another-state'));
        $this->assertSame('state_mismatch', $e->getErrorCode());
        $this->assertStringNotContainsString('another-state', $e->getMessage());
        // A redirect without any state fails the same way.
        $e = $this->thrown(InvalidArgumentException::class, fn () => Client::parseRedirect(self::REDIRECT . '?code=abc', $authorize['state']));
        $this->assertSame('state_mismatch', $e->getErrorCode());
    }

    public function testAccessDenied(): void
    {
        $client = $this->client();
        $authorize = $client->authorizeUrl(['redirect_uri' => self::REDIRECT]);
        $location = self::follow($authorize['url'] . '&deny=1');
        $e = $this->thrown(ApiException::class, fn () => Client::parseRedirect($location, $authorize['state']));
        $this->assertSame('access_denied', $e->getErrorCode());
        // The implicit flow reports it in the fragment.
        $authorize = $client->authorizeUrl(['redirect_uri' => self::REDIRECT, 'response_type' => 'token']);
        $location = self::follow($authorize['url'] . '&deny=1');
        $this->assertStringContainsString('#error=access_denied', $location);
        $e = $this->thrown(ApiException::class, fn () => Client::parseRedirect($location, $authorize['state']));
        $this->assertSame('access_denied', $e->getErrorCode());
    }

    public function testARedirectWithoutAGrantIsInvalid(): void
    {
        $e = $this->thrown(InvalidArgumentException::class, fn () => Client::parseRedirect('not a url', 's'));
        $this->assertSame('invalid_argument', $e->getErrorCode());
    }

    public function testPasswordGrant(): void
    {
        $client = $this->client();
        $token = $client->passwordGrant('partner-' . Sandbox::PARTNER_ID, Sandbox::USER_PASSWORD);
        $this->assertSame('bearer', $token['token_type']);
        $this->assertSame(Sandbox::PARTNER_ID, (string) $client->partnerDetails($token['access_token'])['id']);
        $password = 'wrong-password-' . bin2hex(random_bytes(6));
        $e = $this->thrown(ApiException::class, fn () => $client->passwordGrant('partner-' . Sandbox::PARTNER_ID, $password));
        $this->assertStringContainsString('invalid_grant', $e->getErrorCode() . ' ' . $e->getMessage());
        $this->assertStringNotContainsString($password, (string) $e);
    }

    public function testTokenInfo(): void
    {
        $info = $this->client()->tokenInfo(Sandbox::userToken());
        $this->assertSame(Sandbox::PARTNER_ID, (string) $info['client_id']);
        $this->assertSame('0', (string) $info['blog_id']);
        $this->assertNotSame('0', (string) $info['user_id']);
    }

    public function testTokenInfoOfAnotherApplicationsToken(): void
    {
        $other = Sandbox::userToken(Sandbox::OTHER_PARTNER_ID, Sandbox::OTHER_PARTNER_SECRET);
        $e = $this->thrown(ApiException::class, fn () => $this->client()->tokenInfo($other));
        $this->assertSame('invalid_token', $e->getErrorCode());
        $this->assertSame(400, $e->getHttpStatus());
        $this->assertStringNotContainsString($other, (string) $e);
        // The other application itself knows it.
        $info = $this->client([], Sandbox::OTHER_PARTNER_ID, Sandbox::OTHER_PARTNER_SECRET)->tokenInfo($other);
        $this->assertSame(Sandbox::OTHER_PARTNER_ID, (string) $info['client_id']);
    }

    // -- the Licensing API ---------------------------------------------------------------

    public function testLicenseLifecycle(): void
    {
        $client = $this->client();
        $license = $client->licenseIssue('jetpack-backup-daily');
        $key = $license['license_key'];
        $this->assertSame('jetpack-backup-daily', $license['product']);
        $this->assertNull($license['attached_at']);
        $this->assertSame($key, $client->licenseStatus($key)['license_key']);

        $site = $this->connectedSite('license');
        $attached = $client->licenseAttach($key, $site);
        $this->assertNotNull($attached['attached_at']);
        $this->assertNotEmpty($attached['blog_id']);
        $e = $this->thrown(ApiException::class, fn () => $client->licenseAttach($key, $site));
        $this->assertSame('license_already_attached', $e->getErrorCode());

        $detached = $client->licenseDetach($key, false);
        $this->assertNull($detached['attached_at']);
        $e = $this->thrown(ApiException::class, fn () => $client->licenseDetach($key));
        $this->assertSame('license_not_attached', $e->getErrorCode());
        $this->assertSame(400, $e->getHttpStatus());

        // Attach by blog ID, detach with the server's default e-mail setting.
        $client->licenseAttach($key, (int) $attached['blog_id']);
        $this->assertNull($client->licenseDetach($key)['attached_at']);

        $revoked = $client->licenseRevoke($key);
        $this->assertNotNull($revoked['revoked_at']);
        $e = $this->thrown(ApiException::class, fn () => $client->licenseRevoke($key));
        $this->assertSame('license_revoked', $e->getErrorCode());
    }

    public function testLicensingErrorsCarryTheApisCode(): void
    {
        $client = $this->client();
        $e = $this->thrown(ApiException::class, fn () => $client->licenseIssue('no-such-product'));
        $this->assertSame('invalid_product', $e->getErrorCode());
        $this->assertSame(400, $e->getHttpStatus());
        $this->assertErrorBodyCode('invalid_product', $e);
        $this->assertStringContainsString('no-such-product', $e->getMessage());

        $e = $this->thrown(ApiException::class, fn () => $client->licenseStatus('no-such-license'));
        $this->assertSame('license_not_found', $e->getErrorCode());
        $this->assertSame(404, $e->getHttpStatus());

        $key = $client->licenseIssue('jetpack-scan')['license_key'];
        $e = $this->thrown(ApiException::class, fn () => $client->licenseAttach($key, Sandbox::uniqueSite('license-unknown')));
        $this->assertSame('unknown_site', $e->getErrorCode());
        $this->assertSame(404, $e->getHttpStatus());
        $pending = Sandbox::uniqueSite('license-pending');
        $client->provision('admin', $pending, 'jetpack-scan');
        $e = $this->thrown(ApiException::class, fn () => $client->licenseAttach($key, $pending));
        $this->assertSame('site_not_connected', $e->getErrorCode());

        // Another key's license.
        [, $keyClient] = $this->newKey('Licenses');
        $e = $this->thrown(ApiException::class, fn () => $keyClient->licenseStatus($key));
        $this->assertSame('forbidden', $e->getErrorCode());
        $this->assertSame(403, $e->getHttpStatus());
    }

    public function testProductFamilies(): void
    {
        $families = $this->client()->productFamilies();
        $this->assertTrue(array_is_list($families));
        $slugs = [];
        foreach ($families as $family) {
            foreach ($family['products'] as $product) {
                $slugs[] = $product['slug'];
                $this->assertIsInt($product['product_id']);
            }
        }
        $this->assertContains('jetpack-backup-daily', $slugs);
        $this->assertContains('jetpack-scan', $slugs);
    }

    public function testLicensingPartner(): void
    {
        $client = $this->client();
        $partner = $client->licensingPartner(Sandbox::userToken());
        $this->assertSame(Sandbox::PARTNER_ID, (string) $partner['id']);
        $root = array_values(array_filter($partner['keys'], fn ($k) => (string) $k['id'] === Sandbox::KEY_ID));
        $this->assertCount(1, $root);
        $this->assertIsString($root[0]['oauth2_token']);
        // That token is a partner token of the key: the Licensing API takes it.
        $families = $client->request('GET', '/wpcom/v2/jetpack-licensing/product-families', [], null, null, $root[0]['oauth2_token']);
        $this->assertNotEmpty($families);
        $e = $this->thrown(ApiException::class, fn () => $client->licensingPartner('not-a-token'));
        $this->assertSame('invalid_token', $e->getErrorCode());
    }

    public function testSiteConnection(): void
    {
        $client = $this->client();
        $site = Sandbox::uniqueSite('site-connection');
        $client->provision('admin', $site, 'jetpack-scan');
        $first = $client->siteConnection($site, 'admin');
        $this->assertSame('success', $first['code']);
        $this->assertNotEmpty($first['blog_id']);
        $again = $client->siteConnection($site, 'admin');
        $this->assertSame('already_connected', $again['code']);
        $this->assertSame($first['blog_id'], $again['blog_id']);
        $this->assertTrue($client->statusV12($site)['is_connected']);
    }

    public function testEmptyArgumentsAreInvalid(): void
    {
        $client = $this->client();
        $cases = [
            'license_key' => fn () => $client->licenseStatus(''),
            'product' => fn () => $client->licenseIssue(''),
            'user_token' => fn () => $client->partnerDetails(''),
            'token' => fn () => $client->tokenInfo(''),
            'site' => fn () => $client->upgradePaths(''),
        ];
        foreach ($cases as $field => $call) {
            $e = $this->thrown(InvalidArgumentException::class, $call);
            $this->assertStringStartsWith($field . ': ', $e->getMessage());
        }
    }

    public function testNoServerIsATransportError(): void
    {
        $e = $this->thrown(Exception::class, fn () => $this->client(['api_base' => 'http://127.0.0.1:' . Sandbox::closedPort(), 'max_attempts' => 1])->productFamilies());
        $this->assertInstanceOf(TransportException::class, $e);
        $this->assertSame('transport_error', $e->getErrorCode());
    }
}
