<?php

declare(strict_types=1);

namespace JetpackPartner;

use JetpackPartner\Internal\Backend;
use JetpackPartner\Internal\Batch;
use JetpackPartner\Internal\CliBackend;
use JetpackPartner\Internal\Errors;
use JetpackPartner\Internal\FfiBackend;

/**
 * A Jetpack hosting-partner client.
 *
 *     $client = new JetpackPartner\Client($partnerId, $partnerSecret);
 *     $reply = $client->provision('admin', 'https://example.com', 'jetpack-backup-daily');
 *
 * Every method returns the server's reply decoded as an array, or throws
 * ApiException, TransportException, InvalidArgumentException (all under
 * JetpackPartner\Exception).
 *
 * Beyond provisioning: the other partner endpoints (statusV12, upgradePaths, errors,
 * partnerKeysVerify), reporting with a WordPress.com user token (activations, the
 * allActivations generator, activationsSummary, invoices, upcomingInvoice,
 * partnerDetails), OAuth2 for users (authorizeUrl, parseRedirect, exchangeCode,
 * passwordGrant, tokenInfo), the Licensing API (license*, productFamilies,
 * licensingPartner, siteConnection) and request() for any other endpoint.
 *
 * The client calls libjetpack_partner in-process through FFI. Where PHP has no FFI
 * extension, it runs the jetpack-partner command-line tool instead, with the same
 * results and exceptions (force that with the option backend => "cli" or the
 * environment variable JETPACK_PARTNER_FORCE_CLI=1); authorizeUrl, parseRedirect,
 * exchangeCode and passwordGrant need FFI and throw code unsupported_in_cli_mode there.
 */
final class Client
{
    public const VERSION = Library::BINDING_VERSION;

    private const OPTIONS = [
        'api_base', 'timeout', 'connect_timeout', 'proxy', 'ca_bundle',
        'max_attempts', 'max_response_bytes', 'token_cache_dir', 'idle_timeout', 'library', 'cli', 'backend',
    ];

    private ?Backend $backend;

    /**
     * @param array{api_base?: string, timeout?: int|float, connect_timeout?: int|float, proxy?: ?string,
     *              ca_bundle?: ?string, max_attempts?: int, max_response_bytes?: int,
     *              token_cache_dir?: ?string, idle_timeout?: int|float, library?: string,
     *              cli?: string, backend?: string} $options
     *   - api_base: API host, default https://public-api.wordpress.com (http only for loopback hosts)
     *   - timeout: overall timeout of one operation, seconds (default 60)
     *   - connect_timeout: seconds (default 10)
     *   - proxy: proxy URL (http://host:port)
     *   - ca_bundle: path of a PEM file of extra trusted CA certificates
     *   - max_attempts: HTTP attempts per operation for retryable failures (default 3)
     *   - max_response_bytes: largest reply accepted (default 1 MiB)
     *   - token_cache_dir: an existing directory where the partner token is kept between processes
     *     (a 0600 file without the secret): workers with the same partner ID and API base ask once
     *   - idle_timeout: seconds a kept connection may stay unused and still be used (default 75;
     *     shorter when the server announces a shorter keep-alive)
     *   - library: path of libjetpack_partner.so (else env JETPACK_PARTNER_LIB, the package's lib/, the system);
     *     when the library was preloaded (FFI scope JETPACK_PARTNER), the preloaded one is used
     *   - cli: path of the jetpack-partner tool for the fallback (else env JETPACK_PARTNER_CLI, the package's bin/, PATH)
     *   - backend: "auto" (default: FFI when the extension is loaded, else the tool), "ffi" or "cli"
     *
     * @throws InvalidArgumentException a bad option (the message names it)
     * @throws Exception library_not_found, ffi_disabled, version_mismatch, cli_not_found
     */
    public function __construct(
        string $partnerId,
        #[\SensitiveParameter] string $partnerSecret,
        array $options = []
    ) {
        $this->backend = null;
        foreach (array_keys($options) as $name) {
            if (!in_array($name, self::OPTIONS, true)) {
                throw Errors::invalid((string) $name, 'unknown option (known: ' . implode(', ', self::OPTIONS) . ')');
            }
        }
        self::noNul('partner_id', $partnerId);
        if (str_contains($partnerSecret, "\0")) {
            throw Errors::invalid('partner_secret', 'contains a NUL byte');
        }

        $config = [
            'api_base' => self::optString($options, 'api_base'),
            'timeout_ms' => self::optSeconds($options, 'timeout'),
            'connect_timeout_ms' => self::optSeconds($options, 'connect_timeout'),
            'proxy' => self::optString($options, 'proxy'),
            'ca_bundle' => self::optString($options, 'ca_bundle'),
            'max_attempts' => self::optInt($options, 'max_attempts', 1, 0xFFFFFFFF),
            'max_response_bytes' => self::optInt($options, 'max_response_bytes', 1, PHP_INT_MAX),
            'token_cache_dir' => self::optString($options, 'token_cache_dir'),
            'idle_timeout_ms' => self::optSeconds($options, 'idle_timeout'),
        ];
        $library = self::optString($options, 'library');
        $cli = self::optString($options, 'cli');

        $backend = self::optString($options, 'backend') ?? 'auto';
        if (!in_array($backend, ['auto', 'ffi', 'cli'], true)) {
            throw Errors::invalid('backend', 'expected "auto", "ffi" or "cli"');
        }
        if ($backend === 'auto') {
            $force = getenv('JETPACK_PARTNER_FORCE_CLI');
            if (is_string($force) && $force !== '' && $force !== '0') {
                $backend = 'cli';
            } else {
                $backend = extension_loaded('ffi') ? 'ffi' : 'cli';
            }
        }

        if ($backend === 'ffi') {
            $this->backend = new FfiBackend(Library::ffi($library), $partnerId, $partnerSecret, $config);
        } else {
            $this->backend = new CliBackend(CliBackend::locate($cli), $partnerId, $partnerSecret, $config);
        }
    }

    public function __destruct()
    {
        // Dropping the reference frees the native client (FfiBackend::__destruct), unless a
        // clone of this Client still uses it.
        $this->backend = null;
    }

    /**
     * Releases the native client now (it is also released when the object is
     * destroyed). Calls made afterwards throw, on this object and on its clones.
     */
    public function close(): void
    {
        if ($this->backend instanceof FfiBackend) {
            $this->backend->close();
        }
        $this->backend = null;
    }

    /**
     * Gets ready for calls: asks for the partner token now if there is none yet (in this process or
     * the token cache directory); the token request leaves its connection open for the calls that
     * follow. With a token at hand nothing is sent. In the command-line fallback it does nothing
     * (each call is a process of its own).
     *
     * @throws ApiException token_error: the credentials were refused
     * @throws TransportException the token request failed (transport_error, timeout, ...)
     */
    public function warm(): void
    {
        $this->live()->warm();
    }

    /**
     * Gets ready on a thread of the library's own, returning at once: call it before a page's
     * other work (reading its database...), which the round trips then overlap. Asks for the
     * token if there is none at hand, and opens a connection for the next call when none is
     * likely kept (a worker's first page, a page after an idle gap). A call made meanwhile waits
     * for them instead of asking or opening again. Never throws: a failure shows in the next
     * call. In the command-line fallback it does nothing.
     */
    public function warmInBackground(): void
    {
        $this->live()->warmInBackground();
    }

    /** "ffi" (in-process) or "cli" (running the command-line tool). */
    public function backend(): string
    {
        return $this->live()->name();
    }

    /**
     * Provisions a plan on a site (POST /rest/v1.3/jpphp/provision).
     *
     * @param string      $localUser WordPress user on the site who will own the plan (login, email or ID)
     * @param string      $siteUrl   the site's URL, with its scheme or without (example.com/blog, sent as
     *                               given: WordPress.com accepts both)
     * @param string|null $plan      plan slug (free, personal, premium, professional, jetpack-backup-daily, ...);
     *                               null lets the server choose (free)
     * @param array<string, bool|int|string|null> $options force_register, force_connect, onboarding (bool),
     *   wpcom_user_id (int), wpcom_user_email, partner_tracking_id, ssh_user, ssh_pass, ssh_private_key,
     *   ssh_host, ssh_port (int), ftp_user, ftp_pass, ftp_host, ftp_port (int)
     * @return array<mixed> the server's reply: success, auth_required, next_url, ...
     */
    public function provision(
        string $localUser,
        string $siteUrl,
        ?string $plan = null,
        #[\SensitiveParameter] array $options = []
    ): array {
        self::noNul('local_user', $localUser);
        self::noNul('siteurl', $siteUrl);
        if ($plan !== null) {
            self::noNul('plan', $plan);
        }
        $options = self::checkOptions($options);
        return $this->live()->provision($localUser, $siteUrl, $plan, $options);
    }

    /**
     * Cancels the partner plan of a site (POST /rest/v1.3/jpphp/{site}/partner-cancel).
     *
     * @param string $site site URL, `::` identifier (example.com::blog) or blog ID
     * @param array<string, bool|string|null> $options plan (for a stand-alone product), cancel_all (bool),
     *   partner_tracking_id (sent in the query, for WordPress.com's logs)
     * @return array<mixed> the server's reply; ["success" => false] means there was nothing to cancel
     */
    public function cancel(string $site, array $options = []): array
    {
        self::noNul('site', $site);
        $options = self::checkOptions($options);
        return $this->live()->cancel($site, $options);
    }

    /**
     * Creates a partner key for a reseller (POST /rest/v1.3/jpphp/partner-keys/new).
     *
     * @param array<string, int|string|null> $options allowed_personal_plans, allowed_premium_plans,
     *   allowed_professional_plans (int), notes
     * @return array<mixed> the new key, including its client_id and client_secret
     */
    public function partnerKeyNew(string $name, array $options = []): array
    {
        self::noNul('name', $name);
        $options = self::checkOptions($options);
        return $this->live()->partnerKeyNew($name, $options);
    }

    /**
     * The status of a site (GET /rest/v1.4/jpphp/{site}/status).
     *
     * @param string $site site URL, `::` identifier or blog ID
     * @return array<mixed> ["blog" => [...], "products" => [...]]
     */
    public function status(string $site): array
    {
        self::noNul('site', $site);
        return $this->live()->status($site);
    }

    /**
     * Calls any endpoint of the API, for those this class has no method for.
     *
     *     $me = $client->request('GET', '/rest/v1/me', [], null, null, $userToken);
     *     $client->request('POST', '/wpcom/v2/some/endpoint', [], null, ['name' => 'value']);
     *
     * @param string $method "GET", "POST", "PUT" or "DELETE"
     * @param string $path the path under the API base, starting with "/" (the query goes in $query)
     * @param array<string, mixed> $query query parameters: strings, numbers, booleans, or lists of them
     *   (a list is sent as name[]=item for each item); null values are left out
     * @param array<string, mixed>|null $form a form body (application/x-www-form-urlencoded), values as for $query
     * @param mixed $json a JSON body (any value json_encode() takes); give $form or $json, not both
     * @param string|null $userToken a WordPress.com user token to send; null sends the partner token
     * @param string|null $auth "partner" (the default without $userToken), "user" (the default with
     *   it) or "none" (no token at all, for the endpoints that need none)
     * @return mixed the server's reply decoded from JSON (arrays for objects and lists)
     */
    public function request(
        string $method,
        string $path,
        array $query = [],
        #[\SensitiveParameter] ?array $form = null,
        #[\SensitiveParameter] $json = null,
        #[\SensitiveParameter] ?string $userToken = null,
        ?string $auth = null
    ) {
        self::required('method', $method);
        self::required('path', $path);
        if ($form !== null && $json !== null) {
            throw Errors::invalid('form', 'give either a form or a JSON body, not both');
        }
        $query = self::fields('query', $query);
        if ($form !== null) {
            $form = self::fields('form', $form);
        }
        if ($userToken !== null) {
            self::token('user_token', $userToken);
        }
        if ($auth !== null) {
            self::required('auth', $auth);
        }
        return $this->live()->request($method, $path, $query, $form, $json, $userToken, $auth);
    }

    /**
     * The older status of a site (GET /rest/v1.2/jpphp/{site}/status).
     *
     * @param string|int $site site URL, `::` identifier or blog ID
     * @return array<mixed> [plan, is_partner_plan, is_provisioned_by_calling_partner, is_connected, has_pending_plan]
     */
    public function statusV12($site): array
    {
        return $this->live()->statusV12(self::id('site', $site));
    }

    /**
     * The plans and products a site can move to, by family (GET /rest/v1.3/jpphp/{site}/upgrade-paths).
     *
     * @param string|int $site site URL, `::` identifier or blog ID
     * @return array<mixed> ["plans" => [...], "backup" => [...], "scan" => [...], "anti-spam" => [...]]
     */
    public function upgradePaths($site): array
    {
        return $this->live()->upgradePaths(self::id('site', $site));
    }

    /**
     * The API's error codes (GET /rest/v1.3/jpphp/errors; needs no token).
     *
     * @return array<mixed> ["errors" => [code => message]]; verbose: [code => ["message" => ..., "http_status" => ...]]
     */
    public function errors(bool $verbose = false): array
    {
        return $this->live()->errors($verbose);
    }

    /**
     * Checks the client's own credentials (POST /rest/v1.3/jpphp/partner-keys/verify).
     *
     * @return array<mixed> ["success" => true, "id" => ..., "name" => ..., "client_id" => ...]
     */
    public function partnerKeysVerify(): array
    {
        return $this->live()->partnerKeysVerify();
    }

    /**
     * One page of the activations of a partner key, newest first
     * (GET /wpcom/v2/jetpack-partners/{partner_id}/key/{key_id}/activations). Needs a user token.
     *
     * @param string|int $partnerId the partner ID of the reporting paths (partnerDetails() tells it)
     * @param string|int $keyId the key's ID (partnerDetails() lists them)
     * @param array<string, mixed> $options page (from 1), per_page (1-100, server default 20),
     *   plans (a slug or product ID, or a list of them), activated_after, activated_before
     *   ("YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS" UTC, a Unix time or a DateTimeInterface); null values are left out
     * @return array<mixed> ["total" => N, "page" => N, "per_page" => N, "activations" => [...]]
     */
    public function activations(#[\SensitiveParameter] string $userToken, $partnerId, $keyId, array $options = []): array
    {
        self::token('user_token', $userToken);
        return $this->live()->activations(
            $userToken,
            self::id('partner_id', $partnerId),
            self::id('key_id', $keyId),
            self::activationFilters($options)
        );
    }

    /**
     * Every activation of a partner key, newest first, one at a time: pages are fetched as
     * the loop reaches them, from `page` (default 1) to the last, `per_page` at a time.
     * Options as for activations(). An error on any page is thrown from the loop.
     *
     *     foreach ($client->allActivations($token, $partnerId, $keyId, ['per_page' => 100]) as $activation) { ... }
     *
     * @param string|int $partnerId
     * @param string|int $keyId
     * @param array<string, mixed> $options
     * @return \Generator<int, array<mixed>, void, void>
     */
    public function allActivations(#[\SensitiveParameter] string $userToken, $partnerId, $keyId, array $options = []): \Generator
    {
        // Checked now, not at the first step of the loop.
        self::token('user_token', $userToken);
        $partnerId = self::id('partner_id', $partnerId);
        $keyId = self::id('key_id', $keyId);
        $options = self::activationFilters($options);
        $page = $options['page'] ?? 1;
        unset($options['page']);
        if (!is_int($page) || $page < 1) {
            throw Errors::invalid('page', 'expected an integer from 1');
        }
        return $this->activationPages($userToken, $partnerId, $keyId, $options, $page);
    }

    /**
     * Activations counted per period (GET /wpcom/v2/jetpack-partners/activations). Needs a user token.
     *
     * @param array<string, mixed> $options key_id (one key; default every key), scale ("day", "month" (default) or "year")
     * @return array<mixed> [["date" => ..., "new" => N, "total" => N], ...]
     */
    public function activationsSummary(#[\SensitiveParameter] string $userToken, array $options = []): array
    {
        self::token('user_token', $userToken);
        $out = [];
        foreach (self::checkOptions($options) as $name => $value) {
            $out[$name] = $name === 'key_id' ? self::id('key_id', $value) : $value;
        }
        return $this->live()->activationsSummary($userToken, $out);
    }

    /**
     * The past invoices of a partner key, newest first (.../stripe/invoices). Needs a user token.
     *
     * @param string|int $partnerId
     * @param string|int $keyId
     * @return array<mixed> ["invoices" => [...]]
     */
    public function invoices(#[\SensitiveParameter] string $userToken, $partnerId, $keyId): array
    {
        self::token('user_token', $userToken);
        return $this->live()->invoices($userToken, self::id('partner_id', $partnerId), self::id('key_id', $keyId));
    }

    /**
     * The invoice of the current month so far (.../stripe/upcoming-invoice). Needs a user token.
     *
     * @param string|int $partnerId
     * @param string|int $keyId
     * @return array<mixed> [id, status, currency, period_start, period_end, lines, total] (amounts in cents)
     */
    public function upcomingInvoice(#[\SensitiveParameter] string $userToken, $partnerId, $keyId): array
    {
        self::token('user_token', $userToken);
        return $this->live()->upcomingInvoice($userToken, self::id('partner_id', $partnerId), self::id('key_id', $keyId));
    }

    /**
     * The user's partner and its keys (GET /wpcom/v2/jetpack-partners). Needs a user token.
     *
     * @return array<mixed> ["id" => ..., "name" => ..., "slug" => ..., "keys" => [...]]
     */
    public function partnerDetails(#[\SensitiveParameter] string $userToken): array
    {
        self::token('user_token', $userToken);
        return $this->live()->partnerDetails($userToken);
    }

    /**
     * The WordPress.com page where a user authorizes this application (the partner ID is
     * the OAuth client ID). Send the user to "url"; keep "state" for parseRedirect().
     *
     * @param array<string, string|int|null> $options redirect_uri (required: where WordPress.com sends
     *   the user back), response_type ("code" (default) or "token"), blog (a site URL or blog ID to
     *   tie the token to), scope ("global" or "auth"), state (default: random from the OS generator)
     * @return array{url: string, state: string}
     */
    public function authorizeUrl(array $options): array
    {
        $out = [];
        foreach (self::checkOptions($options) as $name => $value) {
            $out[$name] = is_string($value) ? $value : self::id($name, $value);
        }
        return $this->live()->authorizeUrl($out);
    }

    /**
     * Reads the address the authorize page redirected the user to, and checks its state.
     * Needs the library in-process (FFI); callable as Client::parseRedirect(...) or on a client.
     *
     * @param string $url the whole redirect address (with its query, or its #fragment for response_type token)
     * @param string $expectedState the state authorizeUrl() returned
     * @return array<mixed> ["code" => ...] (exchange it with exchangeCode()), or for response_type token
     *   ["access_token" => ..., "expires_in" => ..., "token_type" => ..., "site_id" => ...]
     * @throws InvalidArgumentException code state_mismatch (the state differs: a forged or stale redirect),
     *   invalid_argument (not a redirect with a code, a token or an error)
     * @throws ApiException the user refused (code access_denied) or WordPress.com reported another error
     * @throws Exception unsupported_in_cli_mode without PHP's FFI extension
     */
    public static function parseRedirect(string $url, #[\SensitiveParameter] string $expectedState): array
    {
        self::required('redirect_url', $url);
        self::noNul('expected_state', $expectedState);
        if (!extension_loaded('ffi')) {
            throw CliBackend::unsupported('parseRedirect');
        }
        return FfiBackend::parseRedirect(Library::loaded(), $url, $expectedState);
    }

    /**
     * Exchanges the code of a redirect for a user token (POST /oauth2/token, authorization_code).
     *
     * @param string $redirectUri the same redirect_uri as in authorizeUrl()
     * @return array<mixed> ["access_token" => ..., "token_type" => "bearer", "blog_id" => ..., "blog_url" => ..., "scope" => ...]
     */
    public function exchangeCode(#[\SensitiveParameter] string $code, string $redirectUri): array
    {
        self::token('code', $code);
        self::required('redirect_uri', $redirectUri);
        return $this->live()->exchangeCode($code, $redirectUri);
    }

    /**
     * A user token from the user's login and password (POST /oauth2/token, grant_type password).
     * WordPress.com allows it for the application owner's own account only, for testing.
     *
     * @return array<mixed> ["access_token" => ..., "token_type" => "bearer", ...]
     */
    public function passwordGrant(string $username, #[\SensitiveParameter] string $password): array
    {
        self::required('username', $username);
        self::token('password', $password);
        return $this->live()->passwordGrant($username, $password);
    }

    /**
     * What a token is (GET /oauth2/token-info): ["client_id", "user_id", "blog_id", "scope"].
     * A token unknown to WordPress.com or of another application: ApiException invalid_token.
     *
     * @return array<mixed>
     */
    public function tokenInfo(#[\SensitiveParameter] string $token): array
    {
        self::token('token', $token);
        return $this->live()->tokenInfo($token);
    }

    /**
     * Issues a license for a product (POST /wpcom/v2/jetpack-licensing/license).
     * Licensing errors are ApiExceptions with the API's code (invalid_product, license_not_found, ...).
     *
     * @param string $product the product slug (productFamilies() lists them)
     * @return array<mixed> [license_id, license_key, product, product_id, issued_at, attached_at, revoked_at, blog_id, siteurl]
     */
    public function licenseIssue(string $product): array
    {
        self::required('product', $product);
        return $this->live()->licenseIssue($product);
    }

    /**
     * A license (GET /wpcom/v2/jetpack-licensing/license?license_key=).
     *
     * @return array<mixed>
     */
    public function licenseStatus(string $licenseKey): array
    {
        self::required('license_key', $licenseKey);
        return $this->live()->licenseStatus($licenseKey);
    }

    /**
     * Revokes a license (DELETE /wpcom/v2/jetpack-licensing/license?license_key=).
     *
     * @return array<mixed> the license, revoked_at set
     */
    public function licenseRevoke(string $licenseKey): array
    {
        self::required('license_key', $licenseKey);
        return $this->live()->licenseRevoke($licenseKey);
    }

    /**
     * Attaches a license to a connected site (POST /wpcom/v2/jetpack-licensing/license/{key}/site).
     *
     * @param string|int $site site URL, `::` identifier or blog ID
     * @return array<mixed> the license, attached
     */
    public function licenseAttach(string $licenseKey, $site): array
    {
        self::required('license_key', $licenseKey);
        return $this->live()->licenseAttach($licenseKey, self::id('site', $site));
    }

    /**
     * Detaches a license from its site (DELETE /wpcom/v2/jetpack-licensing/license/{key}/site).
     *
     * @param bool|null $cancellationEmail whether WordPress.com emails the site owner; null: the server's default (yes)
     * @return array<mixed> the license, detached
     */
    public function licenseDetach(string $licenseKey, ?bool $cancellationEmail = null): array
    {
        self::required('license_key', $licenseKey);
        return $this->live()->licenseDetach($licenseKey, $cancellationEmail === null ? [] : ['cancellation_email' => $cancellationEmail]);
    }

    /**
     * The product families and products the Licensing API issues (GET /wpcom/v2/jetpack-licensing/product-families).
     *
     * @return array<mixed> [["name" => ..., "slug" => ..., "products" => [["name", "slug", "product_id"], ...]], ...]
     */
    public function productFamilies(): array
    {
        return $this->live()->productFamilies();
    }

    /**
     * The partner of a user token and its keys with their tokens (GET /wpcom/v2/jetpack-licensing/partner).
     *
     * @return array<mixed> ["id", "name", "slug", "keys" => [["id", "name", "oauth2_token", "disabled_on"], ...]]
     */
    public function licensingPartner(#[\SensitiveParameter] string $userToken): array
    {
        self::token('user_token', $userToken);
        return $this->live()->licensingPartner($userToken);
    }

    /**
     * Connects a site to WordPress.com (POST /wpcom/v2/jetpack-licensing/site-connection); safe to repeat.
     *
     * @param string $localUser the WordPress user on the site who owns the connection
     * @return array<mixed> ["code" => "success" | "already_connected", "blog_id" => ...]
     */
    public function siteConnection(string $url, string $localUser): array
    {
        self::required('url', $url);
        self::required('local_user', $localUser);
        return $this->live()->siteConnection($url, $localUser);
    }

    /**
     * Provisions many sites, several calls in flight; yields one result per item as it lands
     * (completion order): ['index' => position in $items, 'key', 'operation', 'site',
     * 'outcome' => 'done'|'confirmed'|'already_done'|'failed'|'unknown', 'reply' => ?array,
     * 'exception' => ?Exception (not thrown)].
     *
     * Each item is an array of the protocol's names: local_user, siteurl, plan, the options of
     * provision(), and an optional key (an order ID) naming it in results and in the journal.
     * A malformed item is a 'failed' result; the others run.
     *
     * @param iterable<array<string, mixed>> $items
     * @param array<string, mixed> $options concurrency (1-64, default 8; halved while the server
     *   pushes back), journal (a file path: each item's start is synced to it before it is sent and
     *   its outcome before it is yielded; the same items and journal again skip what is done and
     *   check the site's status before repeating anything that may have reached the server)
     * @return \Generator<int, array<string, mixed>, void, void>
     */
    public function provisionMany(iterable $items, array $options = []): \Generator
    {
        return $this->live()->batch('provision', $items, Batch::options($options));
    }

    /**
     * Cancels on many sites, as provisionMany(); items have site, plan (stand-alone products),
     * cancel_all and key.
     *
     * @param iterable<array<string, mixed>> $items
     * @param array<string, mixed> $options concurrency, journal
     * @return \Generator<int, array<string, mixed>, void, void>
     */
    public function cancelMany(iterable $items, array $options = []): \Generator
    {
        return $this->live()->batch('cancel', $items, Batch::options($options));
    }

    /**
     * Compares the partner's list (arrays of site, plan, optional key and local_user) with
     * WordPress.com; with 'fix' => true, provisions and cancels to match.
     *
     * @param iterable<array<string, mixed>> $expected
     * @param array<string, mixed> $options user_token (the partner's WordPress.com user: the
     *   activations report adds unlisted sites and tells cancelled plans apart), fix (bool),
     *   concurrency (1-64), journal (the fixes' journal), local_user (of the fixes' provisions)
     * @return array<mixed> ['differences' => [[kind, site, expected_plan, actual_plan, key, fix?, fixed?]],
     *   'errors' => [...], 'counts' => [sites, matching, unbilled, missing, pending, plan_differs,
     *   cancelled, fixed, errors, unresolved]]
     */
    public function reconcile(iterable $expected, #[\SensitiveParameter] array $options = []): array
    {
        return $this->live()->reconcile(Batch::expected($expected), Batch::reconcileOptions($options));
    }

    public function __debugInfo(): array
    {
        return ['backend' => $this->backend === null ? 'closed' : $this->backend->name()];
    }

    /** @return never */
    public function __serialize(): array
    {
        throw new \LogicException('a JetpackPartner\Client cannot be serialized');
    }

    /** @param array<mixed> $data */
    public function __unserialize(array $data): void
    {
        throw new \LogicException('a JetpackPartner\Client cannot be unserialized');
    }

    private function live(): Backend
    {
        if ($this->backend === null) {
            throw new Exception('internal', 'the client was closed');
        }
        return $this->backend;
    }

    /**
     * @param array<string, mixed> $options
     * @return \Generator<int, array<mixed>, void, void>
     */
    private function activationPages(#[\SensitiveParameter] string $userToken, string $partnerId, string $keyId, array $options, int $page): \Generator
    {
        $seen = 0;
        while (true) {
            $reply = $this->live()->activations($userToken, $partnerId, $keyId, ['page' => $page] + $options);
            $items = $reply['activations'] ?? null;
            if (!is_array($items) || !array_is_list($items)) {
                throw new TransportException('invalid_response', 'the activations reply has no "activations" list', 200);
            }
            foreach ($items as $item) {
                yield $item;
            }
            $seen += count($items);
            $total = $reply['total'] ?? null;
            if ($items === [] || (is_numeric($total) && $seen >= (int) $total)) {
                return;
            }
            $page++;
        }
    }

    /**
     * @param array<mixed> $options
     * @return array<string, mixed>
     */
    private static function activationFilters(array $options): array
    {
        $out = [];
        foreach ($options as $name => $value) {
            if (!is_string($name)) {
                throw Errors::invalid((string) $name, 'option names must be strings');
            }
            if ($value === null) {
                continue;
            }
            if ($value instanceof \DateTimeInterface) {
                $value = \DateTimeImmutable::createFromInterface($value)->setTimezone(new \DateTimeZone('UTC'))->format('Y-m-d H:i:s');
            }
            if ($name === 'plans') {
                $plans = is_array($value) ? $value : [$value];
                if (!array_is_list($plans)) {
                    throw Errors::invalid('plans', 'expected a slug or a list of slugs');
                }
                foreach ($plans as $plan) {
                    if (!is_string($plan) && !is_int($plan)) {
                        throw Errors::invalid('plans', 'expected slugs or product IDs');
                    }
                    self::noNul('plans', (string) $plan);
                }
                $out[$name] = $plans;
                continue;
            }
            if (!is_bool($value) && !is_int($value) && !is_string($value)) {
                throw Errors::invalid($name, 'expected a string, an integer or a DateTimeInterface');
            }
            if (is_string($value)) {
                self::noNul($name, $value);
            }
            $out[$name] = $value;
        }
        return $out;
    }

    /**
     * Query or form fields of request(): scalars or lists of scalars; null values are left out.
     *
     * @param array<mixed> $fields
     * @return array<string, mixed>
     */
    private static function fields(string $kind, #[\SensitiveParameter] array $fields): array
    {
        $out = [];
        foreach ($fields as $name => $value) {
            $name = (string) $name;
            if ($value === null) {
                continue;
            }
            foreach (is_array($value) ? $value : [$value] as $item) {
                if (!is_scalar($item) || (is_array($value) && !array_is_list($value))) {
                    throw Errors::invalid($kind . '.' . $name, 'expected a string, a number, a boolean or a list of them');
                }
                if (is_string($item)) {
                    self::noNul($kind . '.' . $name, $item);
                }
            }
            $out[$name] = $value;
        }
        return $out;
    }

    /** A site, partner or key ID: a non-empty string, or an integer taken as its decimal digits. */
    private static function id(string $field, mixed $value): string
    {
        if (is_int($value)) {
            return (string) $value;
        }
        if (!is_string($value)) {
            throw Errors::invalid($field, 'expected a string or an integer');
        }
        self::required($field, $value);
        return $value;
    }

    /** A value that must be given: not empty, no NUL byte. */
    private static function required(string $field, string $value): void
    {
        if ($value === '') {
            throw Errors::invalid($field, 'must not be empty');
        }
        self::noNul($field, $value);
    }

    /** A token or password: checked without ever putting it in a message. */
    private static function token(string $field, #[\SensitiveParameter] string $value): void
    {
        if ($value === '') {
            throw Errors::invalid($field, 'must not be empty');
        }
        self::noNul($field, $value);
    }

    private static function noNul(string $field, string $value): void
    {
        if (str_contains($value, "\0")) {
            throw Errors::invalid($field, 'contains a NUL byte');
        }
    }

    /**
     * @param array<mixed> $options
     * @return array<string, mixed>
     */
    private static function checkOptions(#[\SensitiveParameter] array $options): array
    {
        $out = [];
        foreach ($options as $name => $value) {
            if (!is_string($name)) {
                throw Errors::invalid((string) $name, 'option names must be strings');
            }
            if ($value !== null && !is_bool($value) && !is_int($value) && !is_string($value)) {
                throw Errors::invalid($name, 'expected a string, an integer or a boolean');
            }
            if (is_string($value)) {
                self::noNul($name, $value);
            }
            if ($value !== null) {
                $out[$name] = $value;
            }
        }
        return $out;
    }

    /** @param array<string, mixed> $options */
    private static function optString(array $options, string $name): ?string
    {
        $value = $options[$name] ?? null;
        if ($value === null) {
            return null;
        }
        if (!is_string($value)) {
            throw Errors::invalid($name, 'expected a string');
        }
        if ($value === '') {
            throw Errors::invalid($name, 'must not be empty (leave the option out instead)');
        }
        self::noNul($name, $value);
        return $value;
    }

    /** @param array<string, mixed> $options */
    private static function optSeconds(array $options, string $name): ?int
    {
        $value = $options[$name] ?? null;
        if ($value === null) {
            return null;
        }
        if ((!is_int($value) && !is_float($value)) || !is_finite((float) $value) || $value <= 0) {
            throw Errors::invalid($name, 'expected a positive number of seconds');
        }
        if ($value > 86400 * 365) {
            throw Errors::invalid($name, 'too large');
        }
        return max(1, (int) round($value * 1000));
    }

    /** @param array<string, mixed> $options */
    private static function optInt(array $options, string $name, int $min, int $max): ?int
    {
        $value = $options[$name] ?? null;
        if ($value === null) {
            return null;
        }
        if (!is_int($value) || $value < $min || $value > $max) {
            throw Errors::invalid($name, sprintf('expected an integer from %d to %d', $min, $max));
        }
        return $value;
    }
}
