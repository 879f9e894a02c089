//go:build windows

package install

import "golang.org/x/sys/windows/registry"

// windowsRegistry writes keys under HKEY_CURRENT_USER, or HKEY_LOCAL_MACHINE for system-wide registrations.
type windowsRegistry struct{}

// SystemRegistry returns the Windows registry.
func SystemRegistry() Registry { return windowsRegistry{} }

func root(system bool) registry.Key {
	if system {
		return registry.LOCAL_MACHINE
	}
	return registry.CURRENT_USER
}

func (windowsRegistry) SetDefault(system bool, key, value string) error {
	k, _, err := registry.CreateKey(root(system), key, registry.SET_VALUE)
	if err != nil {
		return err
	}
	defer k.Close()
	return k.SetStringValue("", value)
}

func (windowsRegistry) Delete(system bool, key string) error {
	return registry.DeleteKey(root(system), key)
}

func (windowsRegistry) GetDefault(system bool, key string) (string, error) {
	k, err := registry.OpenKey(root(system), key, registry.QUERY_VALUE)
	if err != nil {
		return "", err
	}
	defer k.Close()
	v, _, err := k.GetStringValue("")
	return v, err
}
