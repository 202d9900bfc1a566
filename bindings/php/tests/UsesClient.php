<?php

declare(strict_types=1);

namespace JetpackPartner\Tests;

use JetpackPartner\Client;
use JetpackPartner\Exception;

/**
 * A client of the backend under test, pointed at the sandbox, and a helper for
 * expected exceptions. Used by ClientTestCase and ApiTestCase.
 */
trait UsesClient
{
    /** Options selecting the backend under test. */
    abstract protected function backendOptions(): array;

    abstract protected function expectedBackend(): string;

    protected function tearDown(): void
    {
        Sandbox::clearFaults();
    }

    /** @param array<string, mixed> $options */
    protected function client(array $options = [], ?string $id = null, ?string $secret = null): Client
    {
        return new Client(
            $id ?? Sandbox::PARTNER_ID,
            $secret ?? Sandbox::PARTNER_SECRET,
            $options + ['api_base' => Sandbox::url(), 'timeout' => 10, 'connect_timeout' => 5] + $this->backendOptions()
        );
    }

    /** Runs $fn and returns what it threw, failing if it threw nothing or something else. */
    protected function thrown(string $class, callable $fn): Exception
    {
        try {
            $fn();
        } catch (Exception $e) {
            $this->assertInstanceOf($class, $e, get_class($e) . ': ' . $e->getErrorCode() . ': ' . $e->getMessage());
            return $e;
        }
        $this->fail("expected $class");
    }
}
