<?php
/**
 * Talks to the WhatsApp service's REST API (docs/contract.md, section 3).
 */
final class WhatsAppServiceClient
{
    private $baseUrl;
    private $apiKey;
    private $timeout;

    public function __construct($baseUrl, $apiKey, $timeoutSeconds = 5)
    {
        $this->baseUrl = rtrim((string) $baseUrl, '/');
        $this->apiKey = (string) $apiKey;
        $this->timeout = $timeoutSeconds;
    }

    /**
     * Queues a message. Returns ['outcome' => 'queued'|'retry'|'failed', 'error' => ?string, 'id' => ?int].
     * 'retry': the service is unreachable or busy (5xx, 429); 'failed': it refused the message for good.
     */
    public function send($chat, $text, $key)
    {
        // /send-secure insists on the API key; without one, the service only listens on loopback.
        $path = $this->apiKey !== '' ? '/send-secure' : '/send';
        $answer = $this->request('POST', $path, json_encode(['phone' => $chat, 'message' => $text, 'key' => $key], JSON_UNESCAPED_UNICODE));
        if ($answer['status'] === 200 || $answer['status'] === 202) {
            return ['outcome' => 'queued', 'error' => null, 'id' => isset($answer['json']['id']) ? (int) $answer['json']['id'] : null];
        }
        $error = isset($answer['json']['error']['message']) ? $answer['json']['error']['message'] : $answer['error'];
        $retry = $answer['status'] === 0 || $answer['status'] === 429 || $answer['status'] >= 500;
        return ['outcome' => $retry ? 'retry' : 'failed', 'error' => $error, 'id' => null];
    }

    /** GET /status as an array, or null when the service cannot be reached. */
    public function status()
    {
        $answer = $this->request('GET', '/status');
        return $answer['status'] === 200 ? $answer['json'] : null;
    }

    /**
     * The QR code to scan as PNG bytes, or null when there is none. When the
     * last codes ran out, the service starts a new linking attempt and waits
     * up to 10 s for its code (docs/contract.md 3), hence the longer timeout.
     */
    public function qrPng()
    {
        $answer = $this->request('GET', '/qr?format=png', null, 12);
        return $answer['status'] === 200 && strpos($answer['body'], "\x89PNG") === 0 ? $answer['body'] : null;
    }

    private function request($method, $path, $body = null, $timeoutSeconds = null)
    {
        $headers = ['Accept: application/json'];
        if ($this->apiKey !== '') {
            $headers[] = 'X-API-Key: ' . $this->apiKey;
        }
        if ($body !== null) {
            $headers[] = 'Content-Type: application/json; charset=utf-8';
        }
        $curl = curl_init($this->baseUrl . $path);
        curl_setopt_array($curl, [
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_HTTPHEADER => $headers,
            CURLOPT_CONNECTTIMEOUT => 3,
            CURLOPT_TIMEOUT => $timeoutSeconds === null ? $this->timeout : $timeoutSeconds,
            CURLOPT_FOLLOWLOCATION => false,
        ]);
        if ($body !== null) {
            curl_setopt($curl, CURLOPT_POSTFIELDS, $body);
        }
        $response = curl_exec($curl);
        $status = (int) curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
        $error = $response === false ? curl_error($curl) : null;
        curl_close($curl);
        $text = $response === false ? '' : (string) $response;
        return ['status' => $response === false ? 0 : $status, 'body' => $text, 'json' => json_decode($text, true), 'error' => $error ?: "HTTP $status"];
    }
}
