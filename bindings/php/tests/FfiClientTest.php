<?php

declare(strict_types=1);

namespace JetpackPartner\Tests;

use JetpackPartner\Exception;

/** The client in-process through FFI. */
final class FfiClientTest extends ClientTestCase
{
    protected function backendOptions(): array
    {
        return ['backend' => 'ffi', 'library' => Env::lib()];
    }

    protected function expectedBackend(): string
    {
        return 'ffi';
    }

    public function testCloseReleasesTheClient(): void
    {
        $client = $this->client();
        $this->assertTrue($client->provision('admin', Sandbox::uniqueSite('close'))['success']);
        $client->close();
        $client->close();
        $e = $this->thrown(Exception::class, fn () => $client->status('example.com'));
        $this->assertStringContainsString('closed', $e->getMessage());
    }

    public function testAClonesDestructionLeavesTheOriginalWorking(): void
    {
        $client = $this->client();
        $clone = clone $client;
        unset($clone);
        $this->assertTrue($client->provision('admin', Sandbox::uniqueSite('clone'))['success']);
    }

    public function testAttemptsAreReported(): void
    {
        $site = Sandbox::uniqueSite('attempts');
        Sandbox::fault(['endpoint' => 'status', 'site' => substr($site, 8), 'kind' => 'status', 'status' => 503, 'count' => 0]);
        $e = $this->thrown(\JetpackPartner\ApiException::class, fn () => $this->client(['max_attempts' => 2])->status($site));
        $this->assertSame(2, $e->getAttempts());
    }

    public function testResponseSizeLimit(): void
    {
        $site = Sandbox::uniqueSite('limit');
        Sandbox::fault(['endpoint' => 'status', 'site' => substr($site, 8), 'kind' => 'oversized', 'size' => 300000, 'count' => 0]);
        $e = $this->thrown(\JetpackPartner\TransportException::class, fn () => $this->client(['max_response_bytes' => 100000, 'max_attempts' => 1])->status($site));
        $this->assertSame('response_too_large', $e->getErrorCode());
    }

    public function testTheTokenIsReusedAcrossCalls(): void
    {
        $client = $this->client();
        $site = Sandbox::uniqueSite('reuse');
        $client->provision('admin', $site);
        Sandbox::control('POST', 'stats/reset');
        for ($i = 0; $i < 5; $i++) {
            $client->status($site);
        }
        $stats = Sandbox::stats();
        $this->assertSame(0, $stats['requests']['token'] ?? 0, json_encode($stats));
        $this->assertSame(5, $stats['requests']['status'] ?? 0, json_encode($stats));
    }
}
