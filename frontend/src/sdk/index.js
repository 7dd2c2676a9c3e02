import { install } from './loader.js'

install(window)
