<?php

declare(strict_types=1);

namespace JetpackPartner\Internal;

/**
 * How a Client reaches the library: in-process through FFI, or by running the
 * command-line tool. Internal: not part of the public API.
 *
 * @internal
 */
interface Backend
{
    /** "ffi" or "cli". */
    public function name(): string;

    /** Asks for the partner token if there is none yet (Client::warm). */
    public function warm(): void;

    /** Starts Client::warm on a thread of the library's own (Client::warmInBackground). */
    public function warmInBackground(): void;

    /**
     * @param array<string, mixed> $options
     * @return array<mixed>
     */
    public function provision(string $localUser, string $siteUrl, ?string $plan, array $options): array;

    /**
     * @param array<string, mixed> $options
     * @return array<mixed>
     */
    public function cancel(string $site, array $options): array;

    /**
     * @param array<string, mixed> $options
     * @return array<mixed>
     */
    public function partnerKeyNew(string $name, array $options): array;

    /** @return array<mixed> */
    public function status(string $site): array;

    /**
     * Any endpoint. $json is any JSON value (null: no JSON body); $auth is "partner", "user",
     * "none" or null (the default for $userToken).
     *
     * @param array<string, mixed> $query
     * @param array<string, mixed>|null $form
     * @param mixed $json
     * @return mixed the decoded reply (any JSON value)
     */
    public function request(string $method, string $path, array $query, ?array $form, $json, ?string $userToken, ?string $auth);

    /** @return array<mixed> */
    public function statusV12(string $site): array;

    /** @return array<mixed> */
    public function upgradePaths(string $site): array;

    /** @return array<mixed> */
    public function errors(bool $verbose): array;

    /** @return array<mixed> */
    public function partnerKeysVerify(): array;

    /**
     * One page of activations.
     *
     * @param array<string, mixed> $options page, per_page, plans (list), activated_after, activated_before
     * @return array<mixed>
     */
    public function activations(string $userToken, string $partnerId, string $keyId, array $options): array;

    /**
     * @param array<string, mixed> $options key_id, scale
     * @return array<mixed>
     */
    public function activationsSummary(string $userToken, array $options): array;

    /** @return array<mixed> */
    public function invoices(string $userToken, string $partnerId, string $keyId): array;

    /** @return array<mixed> */
    public function upcomingInvoice(string $userToken, string $partnerId, string $keyId): array;

    /** @return array<mixed> */
    public function partnerDetails(string $userToken): array;

    /**
     * @param array<string, string> $options redirect_uri, response_type, blog, scope, state
     * @return array{url: string, state: string}
     */
    public function authorizeUrl(array $options): array;

    /** @return array<mixed> */
    public function exchangeCode(string $code, string $redirectUri): array;

    /** @return array<mixed> */
    public function passwordGrant(string $username, string $password): array;

    /** @return array<mixed> */
    public function tokenInfo(string $token): array;

    /** @return array<mixed> */
    public function licenseIssue(string $product): array;

    /** @return array<mixed> */
    public function licenseStatus(string $licenseKey): array;

    /** @return array<mixed> */
    public function licenseRevoke(string $licenseKey): array;

    /** @return array<mixed> */
    public function licenseAttach(string $licenseKey, string $site): array;

    /**
     * @param array<string, mixed> $options cancellation_email (bool)
     * @return array<mixed>
     */
    public function licenseDetach(string $licenseKey, array $options): array;

    /** @return array<mixed> */
    public function productFamilies(): array;

    /** @return array<mixed> */
    public function licensingPartner(string $userToken): array;

    /** @return array<mixed> */
    public function siteConnection(string $url, string $localUser): array;

    /**
     * Runs many provisions or cancels; yields one result array per item as it lands.
     *
     * @param iterable<mixed> $items
     * @param array{concurrency: int, journal: ?string} $options
     * @return \Generator<int, array<string, mixed>, void, void>
     */
    public function batch(string $operation, iterable $items, array $options): \Generator;

    /**
     * @param list<array<string, string>> $expected
     * @param array<string, mixed> $options user_token, fix, concurrency, journal, local_user
     * @return array<mixed> the report
     */
    public function reconcile(array $expected, array $options): array;
}
