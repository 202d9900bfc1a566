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
}
