<?php

declare(strict_types=1);

namespace JetpackPartner\Internal;

use JetpackPartner\ApiException;
use JetpackPartner\Exception;
use JetpackPartner\InvalidArgumentException;
use JetpackPartner\Library;
use JetpackPartner\TransportException;

/**
 * Turns an error outcome (from the library or the command-line tool) into the
 * exception class for its code.
 *
 * @internal
 */
final class Errors
{
    private const TRANSPORT = [
        'transport_error',
        'timeout',
        'tls_error',
        'outcome_unknown',
        'invalid_response',
        'response_too_large',
    ];

    /** Error codes the client itself produces (everything else comes from the server). */
    private const CLIENT = [
        'invalid_argument',
        'transport_error',
        'timeout',
        'tls_error',
        'outcome_unknown',
        'invalid_response',
        'response_too_large',
        'token_error',
        'internal',
    ];

    /**
     * @param array<mixed>|null $body
     */
    public static function make(
        string $code,
        string $message,
        ?int $httpStatus = null,
        int $attempts = 0,
        ?array $body = null
    ): Exception {
        if ($httpStatus === 0) {
            $httpStatus = null;
        }
        if ($message === '') {
            $message = $code;
        }
        if ($code === 'invalid_argument') {
            return new InvalidArgumentException($code, $message, $httpStatus, $attempts, $body);
        }
        if (in_array($code, self::TRANSPORT, true)) {
            return new TransportException($code, $message, $httpStatus, $attempts, $body);
        }
        if ($code === 'internal' || $code === '') {
            return new Exception($code === '' ? 'internal' : $code, $message, $httpStatus, $attempts, $body);
        }
        // token_error and every server code.
        return new ApiException($code, $message, $httpStatus, $attempts, $body);
    }

    /**
     * Like make(), with the class chosen by the library's numeric result (jp_code), so a
     * server code that happens to look like a client one still makes an ApiException.
     *
     * @param array<mixed>|null $body
     */
    public static function fromResult(
        int $result,
        string $code,
        string $message,
        ?int $httpStatus = null,
        int $attempts = 0,
        ?array $body = null
    ): Exception {
        if ($httpStatus === 0) {
            $httpStatus = null;
        }
        if ($message === '') {
            $message = $code;
        }
        switch ($result) {
            case Library::JP_INVALID_ARGUMENT:
                return new InvalidArgumentException($code, $message, $httpStatus, $attempts, $body);
            case Library::JP_API_ERROR:
            case Library::JP_TOKEN_ERROR:
                return new ApiException($code, $message, $httpStatus, $attempts, $body);
            case Library::JP_TRANSPORT_ERROR:
            case Library::JP_TIMEOUT:
            case Library::JP_TLS_ERROR:
            case Library::JP_INVALID_RESPONSE:
            case Library::JP_RESPONSE_TOO_LARGE:
            case Library::JP_OUTCOME_UNKNOWN:
                return new TransportException($code, $message, $httpStatus, $attempts, $body);
            case Library::JP_INTERNAL:
                return new Exception($code, $message, $httpStatus, $attempts, $body);
            default:
                // A result newer than this binding: classify by its code string.
                return self::make($code, $message, $httpStatus, $attempts, $body);
        }
    }

    public static function isClientCode(string $code): bool
    {
        return in_array($code, self::CLIENT, true);
    }

    public static function invalid(string $field, string $what): InvalidArgumentException
    {
        return new InvalidArgumentException('invalid_argument', $field . ': ' . $what);
    }

    /**
     * Decodes a success reply: a JSON object (or array) becomes a PHP array.
     *
     * @return array<mixed>
     */
    public static function decodeReply(?string $json, int $httpStatus = 0, int $attempts = 0): array
    {
        if ($json === null || $json === '') {
            return [];
        }
        try {
            $value = json_decode($json, true, 512, JSON_THROW_ON_ERROR | JSON_BIGINT_AS_STRING);
        } catch (\JsonException $e) {
            throw new TransportException(
                'invalid_response',
                'the reply is not valid JSON: ' . $e->getMessage(),
                $httpStatus ?: null,
                $attempts
            );
        }
        if (!is_array($value)) {
            throw new TransportException(
                'invalid_response',
                'the reply is JSON but not an object',
                $httpStatus ?: null,
                $attempts
            );
        }
        return $value;
    }

    /**
     * Decodes a success reply that may be any JSON value (the generic request): objects
     * and arrays become PHP arrays, scalars stay scalars; an empty reply is null.
     *
     * @return mixed
     */
    public static function decodeAny(?string $json, int $httpStatus = 0, int $attempts = 0)
    {
        if ($json === null || $json === '') {
            return null;
        }
        try {
            return json_decode($json, true, 512, JSON_THROW_ON_ERROR | JSON_BIGINT_AS_STRING);
        } catch (\JsonException $e) {
            throw new TransportException(
                'invalid_response',
                'the reply is not valid JSON: ' . $e->getMessage(),
                $httpStatus ?: null,
                $attempts
            );
        }
    }

    /**
     * Decodes a server error body if it is a JSON object; null otherwise.
     *
     * @return array<mixed>|null
     */
    public static function decodeErrorBody(?string $json): ?array
    {
        if ($json === null || $json === '') {
            return null;
        }
        $value = json_decode($json, true, 512, JSON_BIGINT_AS_STRING);
        return is_array($value) ? $value : null;
    }
}
