//go:build windows

package install

import "golang.org/x/sys/windows/registry"

// windowsRegistry writes HKEY_CURRENT_USER keys.
type windowsRegistry struct{}

// SystemRegistry returns the current user's registry.
func SystemRegistry() Registry { return windowsRegistry{} }

func (windowsRegistry) SetDefault(key, value string) error {
	k, _, err := registry.CreateKey(registry.CURRENT_USER, key, registry.SET_VALUE)
	if err != nil {
		return err
	}
	defer k.Close()
	return k.SetStringValue("", value)
}

func (windowsRegistry) Delete(key string) error {
	return registry.DeleteKey(registry.CURRENT_USER, key)
}

func (windowsRegistry) GetDefault(key string) (string, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, key, registry.QUERY_VALUE)
	if err != nil {
		return "", err
	}
	defer k.Close()
	v, _, err := k.GetStringValue("")
	return v, err
}
