<?php

declare(strict_types=1);

namespace JetpackPartner;

use JetpackPartner\Internal\Backend;
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
 * The client calls libjetpack_partner in-process through FFI. Where PHP has no FFI
 * extension, it runs the jetpack-partner command-line tool instead, with the same
 * results and exceptions (force that with the option backend => "cli" or the
 * environment variable JETPACK_PARTNER_FORCE_CLI=1).
 */
final class Client
{
    public const VERSION = Library::BINDING_VERSION;

    private const OPTIONS = [
        'api_base', 'timeout', 'connect_timeout', 'proxy', 'ca_bundle',
        'max_attempts', 'max_response_bytes', 'library', 'cli', 'backend',
    ];

    private ?Backend $backend;

    /**
     * @param array{api_base?: string, timeout?: int|float, connect_timeout?: int|float, proxy?: ?string,
     *              ca_bundle?: ?string, max_attempts?: int, max_response_bytes?: int, library?: string,
     *              cli?: string, backend?: string} $options
     *   - api_base: API host, default https://public-api.wordpress.com (http only for loopback hosts)
     *   - timeout: overall timeout of one operation, seconds (default 60)
     *   - connect_timeout: seconds (default 10)
     *   - proxy: proxy URL (http://host:port)
     *   - ca_bundle: path of a PEM file of extra trusted CA certificates
     *   - max_attempts: HTTP attempts per operation for retryable failures (default 3)
     *   - max_response_bytes: largest reply accepted (default 1 MiB)
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

    /** "ffi" (in-process) or "cli" (running the command-line tool). */
    public function backend(): string
    {
        return $this->live()->name();
    }

    /**
     * Provisions a plan on a site (POST /rest/v1.3/jpphp/provision).
     *
     * @param string      $localUser WordPress user on the site who will own the plan (login, email or ID)
     * @param string      $siteUrl   the site's URL, with scheme
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
     * @param array<string, bool|string|null> $options plan (for a stand-alone product), cancel_all (bool)
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

    /** @return array<string, mixed> */
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
