<?php

/*
 * "Sign in with WordPress.com" for a partner's staff page: the OAuth2 authorization-code
 * flow, with the state checked and the user token kept in the PHP session (never shown).
 *
 * Run it with PHP's built-in server (or put it behind PHP-FPM, preloaded: see the README);
 * outside the command line PHP allows FFI only with ffi.enable=1 or preloading:
 *
 *     JETPACK_PARTNER_ID=12345 JETPACK_PARTNER_SECRET=sandbox-demo-secret \
 *     JETPACK_PARTNER_API_BASE=http://127.0.0.1:PORT \
 *         php -d ffi.enable=1 -S 127.0.0.1:8080 examples/php/oauth-login.php
 *
 * then open http://127.0.0.1:8080/ . Pages:
 *   /           sends the browser to WordPress.com's authorize page
 *   /callback   where WordPress.com sends it back: checks state, exchanges the code
 *   /me         the partner of the signed-in user (a reporting call with the user token)
 *
 *   JETPACK_PARTNER_ID, JETPACK_PARTNER_SECRET   required (the OAuth application)
 *   JETPACK_PARTNER_REDIRECT_URI                 the callback address registered for the application;
 *                                                default http://<Host header>/callback, for local tests only
 *   JETPACK_PARTNER_API_BASE                     optional (default: https://public-api.wordpress.com)
 */

declare(strict_types=1);

require __DIR__ . '/../../bindings/php/autoload.php';

use JetpackPartner\ApiException;
use JetpackPartner\Client;
use JetpackPartner\Exception;
use JetpackPartner\InvalidArgumentException;

function page(int $status, string $title, string $text): void
{
    http_response_code($status);
    header('Content-Type: text/html; charset=utf-8');
    header('Cache-Control: no-store');
    printf(
        "<!doctype html>\n<title>%s</title>\n<h1>%s</h1>\n<p>%s</p>\n<p><a href=\"/\">Sign in again</a></p>\n",
        htmlspecialchars($title),
        htmlspecialchars($title),
        htmlspecialchars($text)
    );
}

$partnerId = getenv('JETPACK_PARTNER_ID');
$partnerSecret = getenv('JETPACK_PARTNER_SECRET');
if (!is_string($partnerId) || $partnerId === '' || !is_string($partnerSecret) || $partnerSecret === '') {
    page(500, 'Not configured', 'Set JETPACK_PARTNER_ID and JETPACK_PARTNER_SECRET.');
    return;
}
$options = [];
$apiBase = getenv('JETPACK_PARTNER_API_BASE');
if (is_string($apiBase) && $apiBase !== '') {
    $options['api_base'] = $apiBase;
}
$redirectUri = getenv('JETPACK_PARTNER_REDIRECT_URI');
if (!is_string($redirectUri) || $redirectUri === '') {
    $redirectUri = 'http://' . ($_SERVER['HTTP_HOST'] ?? '127.0.0.1') . '/callback';
}

// SameSite=Lax: the cookie comes back with WordPress.com's redirect (a top-level GET).
session_start(['cookie_httponly' => true, 'cookie_samesite' => 'Lax', 'use_strict_mode' => true]);
$path = (string) parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH);

try {
    $client = new Client($partnerId, $partnerSecret, $options);

    if ($path === '/') {
        $authorize = $client->authorizeUrl(['redirect_uri' => $redirectUri]);
        $_SESSION['oauth_state'] = $authorize['state'];      // random, from the OS generator
        header('Location: ' . $authorize['url'], true, 302);
        return;
    }

    if ($path === '/callback') {
        $expected = $_SESSION['oauth_state'] ?? '';
        unset($_SESSION['oauth_state']);                     // a state is good for one redirect
        if (!is_string($expected) || $expected === '') {
            page(400, 'Sign-in refused', 'No sign-in was started from this browser, or it was already completed.');
            return;
        }
        $here = strtok($redirectUri, '?') . '?' . ($_SERVER['QUERY_STRING'] ?? '');
        try {
            $grant = Client::parseRedirect($here, (string) $expected);
        } catch (InvalidArgumentException $e) {
            // state_mismatch: a forged or stale redirect; invalid_argument: not a redirect at all.
            page(400, 'Sign-in refused', 'This sign-in link is not the one this page started (' . $e->getErrorCode() . ').');
            return;
        } catch (ApiException $e) {
            // access_denied: the user clicked "Deny".
            page(403, 'Not signed in', $e->getErrorCode() === 'access_denied' ? 'You declined the authorization.' : $e->getMessage());
            return;
        }
        $token = $client->exchangeCode($grant['code'], $redirectUri);
        $info = $client->tokenInfo($token['access_token']);
        session_regenerate_id(true);
        $_SESSION['user_token'] = $token['access_token'];
        page(200, 'Signed in', sprintf('Signed in as WordPress.com user %s (scope %s). Continue to /me.', $info['user_id'], $info['scope']));
        return;
    }

    if ($path === '/me') {
        $token = $_SESSION['user_token'] ?? null;
        if (!is_string($token)) {
            header('Location: /', true, 302);
            return;
        }
        $partner = $client->partnerDetails($token);
        page(200, 'Partner ' . $partner['name'], sprintf('Partner ID %s, %d key(s).', $partner['id'], count($partner['keys'])));
        return;
    }

    page(404, 'Not found', 'Try /.');
} catch (Exception $e) {
    // Messages never contain the secret or a token.
    page(502, 'WordPress.com call failed', $e->getErrorCode() . ': ' . $e->getMessage());
}
