// The v-model prop of a settings form component (each emits update:modelValue itself:
// neither defineModel nor a template assigning to a computed, whose runtime helpers would
// land in the chunk the widget shares with the dashboard).
export const modelProp = (type, fallback) => ({ modelValue: { type, default: fallback } })
