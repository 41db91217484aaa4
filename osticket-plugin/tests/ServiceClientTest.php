<?php
use PHPUnit\Framework\TestCase;

final class ServiceClientTest extends TestCase
{
    /** The contract's failure kinds (docs/contract.md 2.3) as the plugin reads the service's answers. */
    public function testServiceAnswersByKind()
    {
        foreach ([200 => 'queued', 202 => 'queued', 0 => 'retry', 429 => 'retry', 500 => 'retry', 503 => 'retry',
                  401 => 'configuration', 403 => 'configuration', 404 => 'configuration', 301 => 'configuration',
                  400 => 'failed', 413 => 'failed'] as $status => $kind) {
            $this->assertSame($kind, WhatsAppServiceClient::outcome($status), "HTTP $status");
        }
    }
}
