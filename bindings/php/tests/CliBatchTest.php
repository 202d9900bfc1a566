<?php

declare(strict_types=1);

namespace JetpackPartner\Tests;

/** Batches and reconciliation through the command-line fallback (`jetpack-partner bulk`, `reconcile`). */
final class CliBatchTest extends BatchTestCase
{
    protected function backendOptions(): array
    {
        return ['backend' => 'cli', 'cli' => Env::cli()];
    }

    protected function expectedBackend(): string
    {
        return 'cli';
    }
}
