package rules_test

import (
	"fmt"

	"github.com/twinkey/twinkey/core/rules"
)

// The RP ID example of W3C §5.1.3.
func ExampleEffectiveRPID() {
	caller, _ := rules.ParseOrigin("https://login.example.com:1337") // from chrome.runtime.MessageSender
	for _, rpID := range []string{"", "login.example.com", "example.com", "m.login.example.com", "com"} {
		got, err := rules.EffectiveRPID(caller, rpID)
		if err != nil {
			fmt.Printf("%q -> %s\n", rpID, rules.DOMExceptionName(err))
			continue
		}
		fmt.Printf("%q -> %q\n", rpID, got)
	}
	// Output:
	// "" -> "login.example.com"
	// "login.example.com" -> "login.example.com"
	// "example.com" -> "example.com"
	// "m.login.example.com" -> SecurityError
	// "com" -> SecurityError
}

func ExampleEffectiveAppID() {
	caller, _ := rules.ParseOrigin("https://login.example.com")
	for _, appID := range []string{"", "https://example.com/app-id.json", "https://example.org/app-id.json"} {
		got, err := rules.EffectiveAppID(caller, appID)
		fmt.Printf("%q -> %q %d\n", appID, got, rules.U2FErrorCode(err))
	}
	// Output:
	// "" -> "https://login.example.com" 0
	// "https://example.com/app-id.json" -> "https://example.com/app-id.json" 0
	// "https://example.org/app-id.json" -> "" 2
}
