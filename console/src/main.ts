import { createApp } from 'vue'
import ElementPlus from 'element-plus'
import zhCn from 'element-plus/dist/locale/zh-cn.mjs'
import 'element-plus/dist/index.css'
import 'maplibre-gl/dist/maplibre-gl.css'
import './style.css'
import App from './App.vue'
import { router } from './router'
import { restore } from './stores/session'

restore().finally(() => {
  createApp(App).use(ElementPlus, { locale: zhCn, size: 'default' }).use(router).mount('#app')
})
