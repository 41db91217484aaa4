<?php
/**
 * Text made when it is first printed, not when it is built: osTicket builds
 * a settings form before it saves it and prints it afterwards, so what is
 * shown is the state after the save. Pure.
 */
final class WhatsAppLazyText
{
    private $make;
    private $text;

    public function __construct(callable $make)
    {
        $this->make = $make;
    }

    public function __toString()
    {
        if ($this->text === null) {
            $this->text = (string) call_user_func($this->make);
        }
        return $this->text;
    }
}
