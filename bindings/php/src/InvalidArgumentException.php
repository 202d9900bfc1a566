<?php

declare(strict_types=1);

namespace JetpackPartner;

/**
 * Bad input, refused before any request: getErrorCode() is "invalid_argument" and the
 * message names the field ("siteurl: ...", "timeout: ..."), or, from
 * Client::parseRedirect(), "state_mismatch": the redirect's state is not the one
 * authorizeUrl() gave (a forged or stale redirect).
 */
class InvalidArgumentException extends Exception
{
}
