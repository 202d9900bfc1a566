<?php

declare(strict_types=1);

namespace JetpackPartner\Internal;

use JetpackPartner\Exception;
use JetpackPartner\Library;

/**
 * Calls libjetpack_partner in-process through FFI.
 *
 * Ownership: the jp_client is built in the constructor (through a jp_client_builder freed
 * there) and freed in __destruct; every jp_response is freed right after its strings were
 * copied (try/finally).
 *
 * @internal
 */
final class FfiBackend implements Backend
{
    private \FFI $ffi;
    private ?\FFI\CData $client = null;

    /**
     * @param array{api_base?: ?string, timeout_ms?: ?int, connect_timeout_ms?: ?int, proxy?: ?string,
     *              ca_bundle?: ?string, max_attempts?: ?int, max_response_bytes?: ?int,
     *              token_cache_dir?: ?string, idle_timeout_ms?: ?int} $config
     */
    public function __construct(
        \FFI $ffi,
        string $partnerId,
        #[\SensitiveParameter] string $partnerSecret,
        array $config
    ) {
        $this->ffi = $ffi;
        $builder = $ffi->new('jp_client_builder*');
        $code = $ffi->jp_client_builder_new($partnerId, $partnerSecret, \FFI::addr($builder));
        if ($code !== Library::JP_OK || \FFI::isNull($builder)) {
            throw $this->setupError((int) $code, 'partner credentials');
        }
        try {
            $setters = [
                // option => [setter, the setting's name in errors]
                'api_base' => ['jp_client_builder_set_api_base', 'api_base'],
                'timeout_ms' => ['jp_client_builder_set_timeout_ms', 'timeout'],
                'connect_timeout_ms' => ['jp_client_builder_set_connect_timeout_ms', 'connect_timeout'],
                'proxy' => ['jp_client_builder_set_proxy', 'proxy'],
                'ca_bundle' => ['jp_client_builder_set_ca_bundle', 'ca_bundle'],
                'max_attempts' => ['jp_client_builder_set_max_attempts', 'max_attempts'],
                'max_response_bytes' => ['jp_client_builder_set_max_response_bytes', 'max_response_bytes'],
                'token_cache_dir' => ['jp_client_builder_set_token_cache_dir', 'token_cache_dir'],
                'idle_timeout_ms' => ['jp_client_builder_set_idle_timeout_ms', 'idle_timeout'],
            ];
            foreach ($setters as $option => [$setter, $field]) {
                if (($config[$option] ?? null) !== null) {
                    $this->check($ffi->$setter($builder, $config[$option]), $field);
                }
            }
            $out = $ffi->new('jp_client*');
            $code = $ffi->jp_client_builder_build($builder, \FFI::addr($out));
            if ($code !== Library::JP_OK || \FFI::isNull($out)) {
                throw $this->setupError((int) $code, 'client');
            }
            $this->client = $out;
        } finally {
            $ffi->jp_client_builder_free($builder);
        }
    }

    public function __destruct()
    {
        $this->close();
    }

    /** Releases the jp_client; later calls fail. Safe to call twice. */
    public function close(): void
    {
        if ($this->client !== null) {
            $client = $this->client;
            $this->client = null;
            $this->ffi->jp_client_free($client);
        }
    }

    public function name(): string
    {
        return 'ffi';
    }

    public function provision(
        string $localUser,
        string $siteUrl,
        ?string $plan,
        #[\SensitiveParameter] array $options
    ): array {
        $client = $this->live();
        $json = self::optionsJson($options);
        return $this->call(fn ($out) => $this->ffi->jp_provision($client, $localUser, $siteUrl, $plan, $json, $out));
    }

    public function cancel(string $site, array $options): array
    {
        $client = $this->live();
        $json = self::optionsJson($options);
        return $this->call(fn ($out) => $this->ffi->jp_cancel($client, $site, $json, $out));
    }

    public function partnerKeyNew(string $name, array $options): array
    {
        $client = $this->live();
        $json = self::optionsJson($options);
        return $this->call(fn ($out) => $this->ffi->jp_partner_key_new($client, $name, $json, $out));
    }

    public function status(string $site): array
    {
        $client = $this->live();
        return $this->call(fn ($out) => $this->ffi->jp_status($client, $site, $out));
    }

    public function request(string $method, string $path, array $query, ?array $form, $json, #[\SensitiveParameter] ?string $userToken, ?string $auth)
    {
        $client = $this->live();
        $request = ['method' => $method, 'path' => $path];
        if ($query !== []) {
            $request['query'] = (object) $query;
        }
        if ($form !== null) {
            $request['form'] = (object) $form;
        }
        if ($json !== null) {
            $request['json'] = $json;
        }
        if ($userToken !== null) {
            $request['user_token'] = $userToken;
        }
        if ($auth !== null) {
            $request['auth'] = $auth;
        }
        $text = self::encode($request);
        return $this->callAny(fn ($out) => $this->ffi->jp_request($client, $text, $out));
    }

    public function statusV12(string $site): array
    {
        $client = $this->live();
        return $this->call(fn ($out) => $this->ffi->jp_status_v12($client, $site, $out));
    }

    public function upgradePaths(string $site): array
    {
        $client = $this->live();
        return $this->call(fn ($out) => $this->ffi->jp_upgrade_paths($client, $site, $out));
    }

    public function errors(bool $verbose): array
    {
        $client = $this->live();
        return $this->call(fn ($out) => $this->ffi->jp_errors($client, $verbose, $out));
    }

    public function warmInBackground(): void
    {
        // JP_INVALID_ARGUMENT only for a NULL client, which live() rules out.
        $this->ffi->jp_client_warm_in_background($this->live());
    }

    public function warm(): void
    {
        $client = $this->live();
        $code = $this->ffi->jp_client_warm($client);
        if ($code !== Library::JP_OK) {
            $names = [
                Library::JP_INVALID_ARGUMENT => 'invalid_argument',
                Library::JP_API_ERROR => 'api_error',
                Library::JP_TRANSPORT_ERROR => 'transport_error',
                Library::JP_TIMEOUT => 'timeout',
                Library::JP_TLS_ERROR => 'tls_error',
                Library::JP_INVALID_RESPONSE => 'invalid_response',
                Library::JP_RESPONSE_TOO_LARGE => 'response_too_large',
                Library::JP_OUTCOME_UNKNOWN => 'outcome_unknown',
                Library::JP_TOKEN_ERROR => 'token_error',
            ];
            $message = self::str($this->ffi->jp_last_error_message()) ?? 'warming the client failed';
            throw Errors::fromResult($code, $names[$code] ?? 'internal', $message);
        }
    }

    public function partnerKeysVerify(): array
    {
        $client = $this->live();
        return $this->call(fn ($out) => $this->ffi->jp_partner_keys_verify($client, $out));
    }

    public function activations(#[\SensitiveParameter] string $userToken, string $partnerId, string $keyId, array $options): array
    {
        $client = $this->live();
        $json = self::optionsJson($options);
        return $this->call(fn ($out) => $this->ffi->jp_activations($client, $userToken, $partnerId, $keyId, $json, $out));
    }

    public function activationsSummary(#[\SensitiveParameter] string $userToken, array $options): array
    {
        $client = $this->live();
        $json = self::optionsJson($options);
        return $this->call(fn ($out) => $this->ffi->jp_activations_summary($client, $userToken, $json, $out));
    }

    public function invoices(#[\SensitiveParameter] string $userToken, string $partnerId, string $keyId): array
    {
        $client = $this->live();
        return $this->call(fn ($out) => $this->ffi->jp_invoices($client, $userToken, $partnerId, $keyId, $out));
    }

    public function upcomingInvoice(#[\SensitiveParameter] string $userToken, string $partnerId, string $keyId): array
    {
        $client = $this->live();
        return $this->call(fn ($out) => $this->ffi->jp_upcoming_invoice($client, $userToken, $partnerId, $keyId, $out));
    }

    public function partnerDetails(#[\SensitiveParameter] string $userToken): array
    {
        $client = $this->live();
        return $this->call(fn ($out) => $this->ffi->jp_partner_details($client, $userToken, $out));
    }

    public function authorizeUrl(array $options): array
    {
        $client = $this->live();
        $json = self::optionsJson($options);
        $url = $this->ffi->new('char*');
        $state = $this->ffi->new('char*');
        try {
            $code = (int) $this->ffi->jp_oauth_authorize_url($client, $json, \FFI::addr($url), \FFI::addr($state));
            if ($code !== Library::JP_OK) {
                throw $this->setupError($code, 'authorize_url');
            }
            if (\FFI::isNull($url) || \FFI::isNull($state)) {
                throw new Exception('internal', 'jp_oauth_authorize_url returned no string');
            }
            return ['url' => \FFI::string($url), 'state' => \FFI::string($state)];
        } finally {
            if (!\FFI::isNull($url)) {
                $this->ffi->jp_string_free($url);
            }
            if (!\FFI::isNull($state)) {
                $this->ffi->jp_string_free($state);
            }
        }
    }

    public function exchangeCode(#[\SensitiveParameter] string $code, string $redirectUri): array
    {
        $client = $this->live();
        return $this->call(fn ($out) => $this->ffi->jp_oauth_exchange_code($client, $code, $redirectUri, $out));
    }

    public function passwordGrant(string $username, #[\SensitiveParameter] string $password): array
    {
        $client = $this->live();
        return $this->call(fn ($out) => $this->ffi->jp_oauth_password_grant($client, $username, $password, $out));
    }

    public function tokenInfo(#[\SensitiveParameter] string $token): array
    {
        $client = $this->live();
        return $this->call(fn ($out) => $this->ffi->jp_oauth_token_info($client, $token, $out));
    }

    public function licenseIssue(string $product): array
    {
        $client = $this->live();
        return $this->call(fn ($out) => $this->ffi->jp_license_issue($client, $product, $out));
    }

    public function licenseStatus(string $licenseKey): array
    {
        $client = $this->live();
        return $this->call(fn ($out) => $this->ffi->jp_license_status($client, $licenseKey, $out));
    }

    public function licenseRevoke(string $licenseKey): array
    {
        $client = $this->live();
        return $this->call(fn ($out) => $this->ffi->jp_license_revoke($client, $licenseKey, $out));
    }

    public function licenseAttach(string $licenseKey, string $site): array
    {
        $client = $this->live();
        return $this->call(fn ($out) => $this->ffi->jp_license_attach($client, $licenseKey, $site, $out));
    }

    public function licenseDetach(string $licenseKey, array $options): array
    {
        $client = $this->live();
        $json = self::optionsJson($options);
        return $this->call(fn ($out) => $this->ffi->jp_license_detach($client, $licenseKey, $json, $out));
    }

    public function productFamilies(): array
    {
        $client = $this->live();
        return $this->call(fn ($out) => $this->ffi->jp_product_families($client, $out));
    }

    public function licensingPartner(#[\SensitiveParameter] string $userToken): array
    {
        $client = $this->live();
        return $this->call(fn ($out) => $this->ffi->jp_licensing_partner($client, $userToken, $out));
    }

    public function siteConnection(string $url, string $localUser): array
    {
        $client = $this->live();
        return $this->call(fn ($out) => $this->ffi->jp_site_connection($client, $url, $localUser, $out));
    }

    public function batch(string $operation, iterable $items, array $options): \Generator
    {
        $client = $this->live();
        $batch = $this->ffi->new('jp_batch*');
        $code = (int) $this->ffi->jp_batch_new($client, \FFI::addr($batch));
        if ($code !== Library::JP_OK || \FFI::isNull($batch)) {
            throw $this->setupError($code, 'batch');
        }
        try {
            $this->check($this->ffi->jp_batch_set_concurrency($batch, $options['concurrency']), 'concurrency');
            $this->check($this->ffi->jp_batch_set_journal($batch, $options['journal']), 'journal');
            // Position in $items of each item the batch holds (the batch numbers them from 0).
            $positions = [];
            $refused = [];
            $index = 0;
            foreach ($items as $item) {
                $problem = null;
                try {
                    if (!is_array($item)) {
                        throw Errors::invalid('item', 'must be an array');
                    }
                    $code = (int) $this->addItem($batch, $operation, $item);
                    if ($code !== Library::JP_OK) {
                        $problem = self::str($this->ffi->jp_last_error_message()) ?? 'refused';
                    }
                } catch (Exception $e) {
                    $problem = $e->getMessage();
                }
                if ($problem === null) {
                    $positions[] = $index;
                } else {
                    $refused[] = Batch::refused($operation, $index, $item, $problem);
                }
                $index++;
            }
            yield from $refused;
            $this->check($this->ffi->jp_batch_start($batch), 'batch');
            while (true) {
                $out = $this->ffi->new('char*');
                $code = (int) $this->ffi->jp_batch_next($batch, 200, \FFI::addr($out));
                if ($code !== Library::JP_OK) {
                    throw $this->setupError($code, 'batch');
                }
                if (\FFI::isNull($out)) {
                    if ($this->ffi->jp_batch_finished($batch)) {
                        return;
                    }
                    continue;
                }
                try {
                    $text = \FFI::string($out);
                } finally {
                    $this->ffi->jp_string_free($out);
                }
                $value = json_decode($text, true, 512, JSON_BIGINT_AS_STRING);
                if (!is_array($value)) {
                    throw new Exception('internal', 'a batch result is not JSON');
                }
                yield Batch::result($value, $positions[(int) $value['index']] ?? (int) $value['index']);
            }
        } finally {
            // Stops the batch when the caller leaves early; calls in flight finish and are journaled.
            $this->ffi->jp_batch_free($batch);
        }
    }

    /** @param array<mixed> $item */
    private function addItem(\FFI\CData $batch, string $operation, #[\SensitiveParameter] array $item): int
    {
        $options = Batch::itemOptions($operation, $item);
        $json = self::optionsJson($options);
        $key = Batch::text($item, 'key');
        $plan = Batch::text($item, 'plan');
        if ($operation === 'provision') {
            return (int) $this->ffi->jp_batch_add_provision(
                $batch,
                $key,
                Batch::text($item, 'local_user') ?? '',
                Batch::text($item, 'siteurl') ?? '',
                $plan,
                $json
            );
        }
        return (int) $this->ffi->jp_batch_add_cancel($batch, $key, Batch::text($item, 'site') ?? '', $plan, $json);
    }

    public function reconcile(array $expected, #[\SensitiveParameter] array $options): array
    {
        $client = $this->live();
        $out = $this->ffi->new('char*');
        $code = (int) $this->ffi->jp_reconcile($client, self::encode($expected), self::encode((object) $options), \FFI::addr($out));
        if ($code !== Library::JP_OK || \FFI::isNull($out)) {
            $name = Batch::CODE_NAMES[$code] ?? 'internal';
            $detail = self::str($this->ffi->jp_last_error_message()) ?? 'reconcile failed';
            throw Errors::make($name, $detail);
        }
        try {
            $text = \FFI::string($out);
        } finally {
            $this->ffi->jp_string_free($out);
        }
        return Errors::decodeReply($text);
    }

    /**
     * Runs one operation and turns its jp_response into a reply array or an exception.
     *
     * @param callable(\FFI\CData): int $op
     * @return array<mixed>
     */
    private function call(#[\SensitiveParameter] callable $op): array
    {
        return self::outcome($this->ffi, $op, false);
    }

    /**
     * Like call(), for a reply that may be any JSON value.
     *
     * @param callable(\FFI\CData): int $op
     * @return mixed
     */
    private function callAny(#[\SensitiveParameter] callable $op)
    {
        return self::outcome($this->ffi, $op, true);
    }

    /**
     * Parses the redirect of the authorize page (jp_oauth_parse_redirect: no client needed).
     *
     * @return array<mixed> ["code" => ...] or ["access_token" => ..., "expires_in" => ..., "token_type" => ..., "site_id" => ...]
     */
    public static function parseRedirect(\FFI $ffi, string $url, #[\SensitiveParameter] string $expectedState): array
    {
        return self::outcome($ffi, fn ($out) => $ffi->jp_oauth_parse_redirect($url, $expectedState, $out), false);
    }

    /**
     * @param callable(\FFI\CData): int $op
     * @return mixed
     */
    private static function outcome(\FFI $ffi, #[\SensitiveParameter] callable $op, bool $any)
    {
        $response = $ffi->new('jp_response*');
        // The operation returns the code its response carries (jp_response_code).
        $code = (int) $op(\FFI::addr($response));
        if (\FFI::isNull($response)) {
            throw new Exception('internal', 'the library returned no response');
        }
        try {
            $json = self::str($ffi->jp_response_json($response));
            if ($code === Library::JP_OK) {
                // The usual case costs one crossing besides the call; status and attempts are
                // read only to describe a reply that cannot be decoded.
                $reply = self::decodeOrFail($json, $any);
                if ($reply !== self::UNDECODABLE) {
                    return $reply;
                }
            }
            $httpStatus = (int) $ffi->jp_response_http_status($response);
            $attempts = (int) $ffi->jp_response_attempts($response);
            if ($code !== Library::JP_OK) {
                $errorCode = self::str($ffi->jp_response_error_code($response)) ?? 'internal';
                $message = self::str($ffi->jp_response_error_message($response)) ?? '';
            }
        } finally {
            $ffi->jp_response_free($response);
        }
        if ($code === Library::JP_OK) {
            // Throws the exception that says why the reply cannot be decoded.
            return $any ? Errors::decodeAny($json, $httpStatus, $attempts) : Errors::decodeReply($json, $httpStatus, $attempts);
        }
        throw Errors::fromResult($code, $errorCode, $message, $httpStatus, $attempts, Errors::decodeErrorBody($json));
    }

    /** Returned by decodeOrFail() for a reply that Errors::decodeReply()/decodeAny() would refuse. */
    private const UNDECODABLE = "\0undecodable";

    /**
     * A success reply decoded as Errors::decodeReply() (or decodeAny() when $any) would, or
     * UNDECODABLE where they would throw.
     *
     * @return mixed
     */
    private static function decodeOrFail(?string $json, bool $any)
    {
        if ($json === null || $json === '') {
            return $any ? null : [];
        }
        $value = json_decode($json, true, 512, JSON_BIGINT_AS_STRING);
        if ($value === null && json_last_error() !== JSON_ERROR_NONE) {
            return self::UNDECODABLE;
        }
        return ($any || is_array($value)) ? $value : self::UNDECODABLE;
    }

    private function live(): \FFI\CData
    {
        if ($this->client === null) {
            throw new Exception('internal', 'the client was closed');
        }
        return $this->client;
    }

    /** @param mixed $value a PHP string (FFI copies `const char *` returns) or a char* CData */
    private static function str($value): ?string
    {
        if ($value === null) {
            return null;
        }
        if ($value instanceof \FFI\CData) {
            return \FFI::isNull($value) ? null : \FFI::string($value);
        }
        return (string) $value;
    }

    /** @param array<string, mixed> $options */
    private static function optionsJson(#[\SensitiveParameter] array $options): ?string
    {
        if ($options === []) {
            return null;
        }
        foreach ($options as $name => $value) {
            // Name the option whose text is not UTF-8, rather than the JSON document as a whole.
            if (is_string($value) && preg_match('//u', $value) !== 1) {
                throw Errors::invalid((string) $name, 'is not valid UTF-8');
            }
        }
        return self::encode((object) $options);
    }

    /** @param mixed $value */
    private static function encode(#[\SensitiveParameter] $value): string
    {
        try {
            return json_encode($value, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION);
        } catch (\JsonException $e) {
            throw Errors::invalid('json', 'cannot be encoded as JSON: ' . $e->getMessage());
        }
    }

    private function check(int $code, string $field): void
    {
        if ($code !== Library::JP_OK) {
            throw $this->setupError($code, $field);
        }
    }

    private function setupError(int $code, string $field): Exception
    {
        $detail = self::str($this->ffi->jp_last_error_message());
        $name = $code === Library::JP_INVALID_ARGUMENT ? 'invalid_argument' : 'internal';
        if ($detail !== null && str_starts_with($detail, $name . ': ')) {
            // The detail may start with the code; the message names the field first.
            $detail = substr($detail, strlen($name) + 2);
        }
        $message = $detail ?? ($field . ': refused by the library');
        return Errors::make($name, $message);
    }
}
