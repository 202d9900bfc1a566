<?php

declare(strict_types=1);

namespace JetpackPartner;

/**
 * No usable reply came back. getErrorCode() is one of:
 *
 * - transport_error     the connection failed (refused, reset, DNS, proxy)
 * - timeout             the connect or overall timeout expired
 * - tls_error           the TLS handshake or certificate check failed
 * - outcome_unknown     the request was sent but the reply was lost: it may have been processed
 * - invalid_response    the reply was not the JSON the protocol describes
 * - response_too_large  the reply was larger than the client accepts
 *
 * After outcome_unknown, invalid_response or response_too_large the server may have
 * acted on the request: check with Client::status() before repeating a provision.
 */
class TransportException extends Exception
{
}
