<?php
/**
 * Customer commands. A close keyword counts only when it is the whole
 * message (case, spaces, umlaut spelling and trailing punctuation aside):
 * "Danke!" closes, "Danke, aber es geht immer noch nicht" does not.
 */
final class WhatsAppCommandParser
{
    private $closeKeywords;
    private $switchKeywords;

    /**
     * @param string[] $closeKeywords
     * @param string|string[] $switchKeywords
     */
    public function __construct(array $closeKeywords, $switchKeywords)
    {
        $this->closeKeywords = self::folded($closeKeywords);
        $this->switchKeywords = self::folded((array) $switchKeywords);
    }

    /** The parser of an instance's texts: the main keywords and the alternatives (one per line). */
    public static function fromTexts(array $texts)
    {
        return new self(
            array_merge([$texts['close_keyword']], self::lines($texts['close_keywords_alt'])),
            array_merge([$texts['switch_keyword']], self::lines(isset($texts['switch_keywords_alt']) ? $texts['switch_keywords_alt'] : ''))
        );
    }

    /**
     * @return array{type: string, number?: string}
     *   ['type' => 'close'], ['type' => 'switch', 'number' => '123456'] or ['type' => 'message']
     */
    public function parse($text)
    {
        $folded = self::fold($text);
        if ($folded === '') {
            return ['type' => 'message'];
        }
        if (in_array($folded, $this->closeKeywords, true)) {
            return ['type' => 'close'];
        }
        foreach ($this->switchKeywords as $keyword) {
            $pattern = '/^' . preg_quote($keyword, '/') . '\s*:?\s*#?\s*([a-z0-9][a-z0-9\-]*)$/u';
            if (preg_match($pattern, $folded, $m)) {
                return ['type' => 'switch', 'number' => strtoupper($m[1])];
            }
        }
        return ['type' => 'message'];
    }

    /** Lower case, single spaces, umlauts spelled out, no trailing punctuation. */
    public static function fold($text)
    {
        $text = mb_strtolower(trim((string) $text), 'UTF-8');
        $text = strtr($text, ['ä' => 'ae', 'ö' => 'oe', 'ü' => 'ue', 'ß' => 'ss']);
        $text = preg_replace('/\s+/u', ' ', $text);
        return trim(preg_replace('/[\s.!?,;:…]+$/u', '', $text));
    }

    private static function folded(array $keywords)
    {
        return array_values(array_filter(array_map([__CLASS__, 'fold'], $keywords), 'strlen'));
    }

    /** Keywords from a multi-line setting, one per line. */
    public static function lines($setting)
    {
        return array_values(array_filter(array_map('trim', preg_split('/\R/u', (string) $setting)), 'strlen'));
    }
}
