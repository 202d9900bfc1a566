<?php

declare(strict_types=1);

namespace JetpackPartner;

/**
 * Bad input, refused before any request: getErrorCode() is "invalid_argument" and the
 * message names the field ("siteurl: ...", "timeout: ...").
 */
class InvalidArgumentException extends Exception
{
}
