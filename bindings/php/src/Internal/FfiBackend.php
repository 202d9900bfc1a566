<?php

declare(strict_types=1);

namespace JetpackPartner\Internal;

use JetpackPartner\Exception;
use JetpackPartner\Library;

/**
 * Calls libjetpack_partner in-process through FFI.
 *
 * Ownership: the jp_client is created in the constructor and freed in __destruct;
 * every jp_response is freed right after its strings were copied (try/finally).
 *
 * @internal
 */
final class FfiBackend implements Backend
{
    private \FFI $ffi;
    private ?\FFI\CData $client = null;

    /**
     * @param array{api_base?: ?string, timeout_ms?: ?int, connect_timeout_ms?: ?int, proxy?: ?string,
     *              ca_bundle?: ?string, max_attempts?: ?int, max_response_bytes?: ?int} $config
     */
    public function __construct(
        \FFI $ffi,
        string $partnerId,
        #[\SensitiveParameter] string $partnerSecret,
        array $config
    ) {
        $this->ffi = $ffi;
        $out = $ffi->new('jp_client*');
        $code = $ffi->jp_client_new($partnerId, $partnerSecret, \FFI::addr($out));
        if ($code !== Library::JP_OK || \FFI::isNull($out)) {
            throw $this->setupError((int) $code, 'partner credentials');
        }
        $this->client = $out;
        try {
            if (($config['api_base'] ?? null) !== null) {
                $this->check($ffi->jp_client_set_api_base($out, $config['api_base']), 'api_base');
            }
            if (($config['timeout_ms'] ?? null) !== null) {
                $this->check($ffi->jp_client_set_timeout_ms($out, $config['timeout_ms']), 'timeout');
            }
            if (($config['connect_timeout_ms'] ?? null) !== null) {
                $this->check($ffi->jp_client_set_connect_timeout_ms($out, $config['connect_timeout_ms']), 'connect_timeout');
            }
            if (($config['proxy'] ?? null) !== null) {
                $this->check($ffi->jp_client_set_proxy($out, $config['proxy']), 'proxy');
            }
            if (($config['ca_bundle'] ?? null) !== null) {
                $this->check($ffi->jp_client_set_ca_bundle($out, $config['ca_bundle']), 'ca_bundle');
            }
            if (($config['max_attempts'] ?? null) !== null) {
                $this->check($ffi->jp_client_set_max_attempts($out, $config['max_attempts']), 'max_attempts');
            }
            if (($config['max_response_bytes'] ?? null) !== null) {
                $this->check($ffi->jp_client_set_max_response_bytes($out, $config['max_response_bytes']), 'max_response_bytes');
            }
        } catch (\Throwable $e) {
            $this->close();
            throw $e;
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

    /**
     * Runs one operation and turns its jp_response into a reply array or an exception.
     *
     * @param callable(\FFI\CData): int $op
     * @return array<mixed>
     */
    private function call(#[\SensitiveParameter] callable $op): array
    {
        $response = $this->ffi->new('jp_response*');
        $op(\FFI::addr($response));
        if (\FFI::isNull($response)) {
            throw new Exception('internal', 'the library returned no response');
        }
        try {
            $code = (int) $this->ffi->jp_response_code($response);
            $json = self::str($this->ffi->jp_response_json($response));
            $httpStatus = (int) $this->ffi->jp_response_http_status($response);
            $attempts = (int) $this->ffi->jp_response_attempts($response);
            if ($code !== Library::JP_OK) {
                $errorCode = self::str($this->ffi->jp_response_error_code($response)) ?? 'internal';
                $message = self::str($this->ffi->jp_response_error_message($response)) ?? '';
            }
        } finally {
            $this->ffi->jp_response_free($response);
        }
        if ($code === Library::JP_OK) {
            return Errors::decodeReply($json, $httpStatus, $attempts);
        }
        throw Errors::fromResult($code, $errorCode, $message, $httpStatus, $attempts, Errors::decodeErrorBody($json));
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
        return json_encode((object) $options, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
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
