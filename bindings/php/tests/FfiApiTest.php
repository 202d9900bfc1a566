<?php

declare(strict_types=1);

namespace JetpackPartner\Tests;

/** The rest of the partner API in-process through FFI. */
final class FfiApiTest extends ApiTestCase
{
    protected function backendOptions(): array
    {
        return ['backend' => 'ffi', 'library' => Env::lib()];
    }

    protected function expectedBackend(): string
    {
        return 'ffi';
    }

    public function testEveryPageIsOneRequestWithTheTokenReused(): void
    {
        $client = $this->client();
        $token = Sandbox::userToken();
        $client->partnerDetails($token);
        Sandbox::control('POST', 'stats/reset');
        $count = iterator_count($client->allActivations($token, Sandbox::PARTNER_ID, Sandbox::KEY_ID, ['per_page' => 100]));
        $stats = Sandbox::stats();
        $this->assertSame((int) ceil(max($count, 1) / 100), $stats['requests']['reporting'], json_encode($stats));
        $this->assertSame(0, $stats['requests']['token'], 'a user token needs no token request');
    }
}
