<?php

declare(strict_types=1);

namespace JetpackPartner;

/**
 * The server answered and refused the request: getErrorCode() is the server's own
 * code (invalid_plan, plan_downgrade_disallowed, invalid_scope, ...), getHttpStatus()
 * its HTTP status and getMessage() its message.
 *
 * A refused partner token (wrong partner ID or secret) is also an ApiException, with
 * the code "token_error"; its message carries the server's OAuth error
 * (e.g. invalid_client).
 */
class ApiException extends Exception
{
}
