<?php

declare(strict_types=1);

namespace JetpackPartner;

/**
 * Base class of every exception the binding throws.
 *
 * getErrorCode() is a stable string: the server's own error code (ApiException),
 * one of the client's codes (invalid_argument, transport_error, timeout, tls_error,
 * invalid_response, response_too_large, outcome_unknown, token_error, internal), or,
 * for problems loading the binding itself, library_not_found, ffi_disabled,
 * version_mismatch, cli_not_found, cli_failed, and unsupported_in_cli_mode for a method the
 * command-line fallback cannot run.
 *
 * Messages never contain the partner secret or a token.
 */
class Exception extends \RuntimeException
{
    private string $errorCode;
    private ?int $httpStatus;
    private int $attempts;
    /** @var array<mixed>|null */
    private ?array $errorBody;

    /**
     * @param array<mixed>|null $errorBody the server's error reply, decoded, when it was JSON
     */
    public function __construct(
        string $errorCode,
        string $message,
        ?int $httpStatus = null,
        int $attempts = 0,
        ?array $errorBody = null,
        ?\Throwable $previous = null
    ) {
        parent::__construct($message, 0, $previous);
        $this->errorCode = $errorCode;
        $this->httpStatus = $httpStatus;
        $this->attempts = $attempts;
        $this->errorBody = $errorBody;
    }

    /** The stable error code, e.g. "invalid_plan", "timeout", "invalid_argument". */
    public function getErrorCode(): string
    {
        return $this->errorCode;
    }

    /** The HTTP status of the server's reply, or null when no reply was read. */
    public function getHttpStatus(): ?int
    {
        return $this->httpStatus;
    }

    /** HTTP attempts made for the call (0 when the call never reached the network). */
    public function getAttempts(): int
    {
        return $this->attempts;
    }

    /**
     * The server's error reply, decoded, when it was JSON (e.g. ["error" => ..., "message" => ...]).
     *
     * @return array<mixed>|null
     */
    public function getErrorBody(): ?array
    {
        return $this->errorBody;
    }
}
