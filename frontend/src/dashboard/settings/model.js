// The v-model props of a settings form component. Each component emits update:modelValue
// itself: defineModel and templates assigning to a computed would add Vue helpers to the
// chunk the widget shares with the dashboard. modelModifiers is declared so that it does
// not fall through to the control as an attribute (Vue applies .number / .trim on emit).
export const modelProp = (type, fallback) => ({
  modelValue: { type, default: fallback },
  modelModifiers: { type: Object, default: undefined },
})
